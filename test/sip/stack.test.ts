/** SipStack behaviour on loopback: a raw UDP peer for edge cases, two stacks for dialog features. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SipFailure, SipStack, type Dialog, type SipResponse, type SipRequest } from '../../sip/index.ts';
import { captureLogger, FAST_TIMERS, SDP_A, SDP_B } from './helpers.ts';
import { method, RawPeer, rawRequest, status } from './raw-peer.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function stack(timers = FAST_TIMERS) {
  const logger = captureLogger();
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers });
  open.push(s);
  return { s, logger };
}

async function peer(): Promise<RawPeer> {
  const p = await RawPeer.open();
  open.push(p);
  return p;
}

const drained = { serverTransactions: 0, clientTransactions: 0, dialogs: 0 };

describe('SipStack edge cases (raw UDP peer)', () => {
  it('answers OPTIONS with 200 carrying Allow, Accept and Supported; adds received/rport to Via', async () => {
    const { s } = await stack();
    const p = await peer();
    p.send(rawRequest({ method: 'OPTIONS', port: s.port, peerPort: p.port, callId: 'opt1' }), s.port);
    const res = (await p.next(status(200))) as SipResponse;
    expect(res.headers.get('allow')).toContain('INVITE');
    expect(res.headers.get('accept')).toBe('application/sdp');
    expect(res.headers.has('supported')).toBe(true);
    expect(res.topVia.params.get('rport')).toBe(String(p.port)); // RFC 3581 4
    expect(res.topVia.params.get('received')).toBe('127.0.0.1');
  });

  it.each([
    ['BYE outside a dialog', 'BYE', undefined, 481],
    ['INFO for an unknown dialog', 'INFO', 'nosuchtag', 481],
    ['unsupported method', 'SUBSCRIBE', undefined, 405],
    ['CANCEL matching nothing', 'CANCEL', undefined, 481],
  ])('%s → %i', async (_n, m, toTag, code) => {
    const { s } = await stack();
    const p = await peer();
    p.send(rawRequest({ method: m, port: s.port, peerPort: p.port, callId: `c-${m}`, toTag }), s.port);
    const res = (await p.next((x) => !x.isRequest)) as SipResponse;
    expect(res.status).toBe(code);
    if (code === 405) expect(res.headers.get('allow')).toContain('OPTIONS');
  });

  it('refuses an INVITE with Max-Forwards 0 with 483', async () => {
    const { s } = await stack();
    const p = await peer();
    let invites = 0;
    s.on('invite', () => { invites++; });
    p.send(rawRequest({ method: 'INVITE', port: s.port, peerPort: p.port, callId: 'mf0', maxForwards: 0 }), s.port);
    expect(((await p.next(status(483))) as SipResponse).status).toBe(483);
    expect(invites).toBe(0);
  });

  it('answers a truncated body with 400 naming the problem, leaving no transaction', async () => {
    const { s, logger } = await stack();
    const p = await peer();
    p.send(rawRequest({ method: 'INVITE', port: s.port, peerPort: p.port, callId: 'bad1', body: SDP_A, contentLength: 500 }), s.port);
    const res = (await p.next(status(400))) as SipResponse;
    expect(res.reason).toBe('Content-Length larger than body');
    expect(res.to.params.get('tag')).toBeTruthy();
    expect(s.stats()).toEqual(drained);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('drops a datagram that is not SIP, logging one warning with the source', async () => {
    const { s, logger } = await stack();
    const p = await peer();
    p.send('GET / HTTP/1.1 extra\r\n\r\n', s.port);
    p.send(rawRequest({ method: 'OPTIONS', port: s.port, peerPort: p.port, callId: 'after' }), s.port);
    await p.next(status(200)); // the stack is still serving after the garbage
    const warns = logger.lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0].meta).toMatchObject({ address: '127.0.0.1', port: p.port, reason: 'not a SIP start line' });
    expect(p.all().filter((m) => !m.isRequest && m.status === 400)).toHaveLength(0);
  });

  it('answers 500 when the application listener throws, leaving no transaction pending', async () => {
    const { s, logger } = await stack();
    const p = await peer();
    s.on('invite', () => { throw new Error('gateway bug'); });
    p.send(rawRequest({ method: 'INVITE', port: s.port, peerPort: p.port, callId: 'boom', body: SDP_A }), s.port);
    await p.next(status(500));
    expect(logger.lines.some((l) => l.level === 'error' && (l.meta as { err?: string }).err === 'gateway bug')).toBe(true);
    p.send(rawRequest({ method: 'ACK', port: s.port, peerPort: p.port, callId: 'boom', branch: 'z9hG4bKboomINVITE' }), s.port); // RFC 3261 17.1.1.3: same branch
    await vi.waitFor(() => expect(s.stats()).toEqual(drained), { timeout: 5000, interval: 50 });
  });

  it('absorbs a retransmitted INVITE: one invite event, last provisional repeated', async () => {
    const { s } = await stack();
    const p = await peer();
    const invites: unknown[] = [];
    const rang = new Promise<void>((resolve) => s.on('invite', (inv) => { invites.push(inv); inv.progress(180); resolve(); }));
    const text = rawRequest({ method: 'INVITE', port: s.port, peerPort: p.port, callId: 'rtx', body: SDP_A });
    p.send(text, s.port);
    await rang;
    await p.next(status(180));
    p.send(text, s.port);
    const again = (await p.next(status(180))) as SipResponse;
    expect(again.status).toBe(180);
    expect(invites).toHaveLength(1);
  });

  it('retransmits the 2xx until ACK and, without ACK, sends BYE after 64·T1 and rejects accept()', async () => {
    const { s } = await stack();
    const p = await peer();
    const accepted = new Promise<unknown>((resolve) => s.on('invite', (inv) => {
      inv.accept({ sdp: SDP_B }).then(resolve, resolve);
    }));
    p.send(rawRequest({ method: 'INVITE', port: s.port, peerPort: p.port, callId: 'noack', body: SDP_A }), s.port);
    const bye = (await p.next(method('BYE'))) as SipRequest;
    const err = await accepted;
    expect(err).toBeInstanceOf(SipFailure);
    expect((err as SipFailure).status).toBe(408);
    const oks = p.all().filter((m) => !m.isRequest && m.status === 200);
    expect(oks.length).toBeGreaterThan(3); // first 2xx plus retransmissions at T1, 2·T1, …
    expect(bye.headers.get('to')).toContain('tag=peertag'); // BYE goes to the remote side of the dialog
    expect(bye.uri).toBe(`sip:peer@127.0.0.1:${p.port}`); // remote target = Contact (RFC 3261 12.1.1)
  });
});

describe('SipStack route set (RFC 3261 12.1.1, 12.2.1.1)', () => {
  it('copies Record-Route into the 2xx and routes the UAS BYE through it to the remote target', async () => {
    const { s } = await stack();
    const p = await peer();
    const dialog = new Promise<Dialog>((resolve) => s.on('invite', (inv) => { inv.accept({ sdp: SDP_B }).then(resolve); }));
    const rr = `<sip:p1@127.0.0.1:${p.port};lr>, <sip:p2@127.0.0.1:9;lr>`;
    p.send(rawRequest({ method: 'INVITE', port: s.port, peerPort: p.port, callId: 'rr1', body: SDP_A, extra: `Record-Route: ${rr}` }), s.port);
    const ok = (await p.next(status(200))) as SipResponse;
    expect(ok.headers.getAll('record-route')).toEqual([`<sip:p1@127.0.0.1:${p.port};lr>`, '<sip:p2@127.0.0.1:9;lr>']);
    expect(ok.headers.get('contact')).toBe(`<sip:127.0.0.1:${s.port}>`);
    const toTag = ok.to.params.get('tag')!;
    p.send(rawRequest({ method: 'ACK', port: s.port, peerPort: p.port, callId: 'rr1', toTag, branch: 'z9hG4bKack1' }), s.port);
    const d = await dialog;
    const byeDone = d.bye();
    const bye = (await p.next(method('BYE'))) as SipRequest;
    expect(bye.uri).toBe(`sip:peer@127.0.0.1:${p.port}`);
    expect(bye.headers.getAll('route')).toEqual([`<sip:p1@127.0.0.1:${p.port};lr>`, '<sip:p2@127.0.0.1:9;lr>']);
    expect(bye.from.params.get('tag')).toBe(toTag);
    const res = [
      'SIP/2.0 200 OK', ...bye.headers.getAll('via').map((v) => `Via: ${v}`), `From: ${bye.headers.get('from')}`,
      `To: ${bye.headers.get('to')}`, `Call-ID: ${bye.callId}`, `CSeq: ${bye.headers.get('cseq')}`, 'Content-Length: 0', '', '',
    ].join('\r\n');
    p.send(res, s.port);
    await byeDone;
    expect(s.stats().dialogs).toBe(0);
  });
});

describe('SipStack to SipStack', () => {
  async function pair(transport: 'udp' | 'tcp' = 'udp') {
    const a = (await stack()).s;
    const b = (await stack()).s;
    const uri = `sip:room@127.0.0.1:${b.port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
    return { a, b, uri };
  }

  function answerAll(b: SipStack): Promise<Dialog> {
    return new Promise((resolve) => b.on('invite', (inv) => { inv.accept({ sdp: SDP_B }).then(resolve); }));
  }

  it.each(['udp', 'tcp'] as const)('INFO both ways and BYE from the UAS over %s; stats return to 0', async (tp) => {
    const { a, b, uri } = await pair(tp);
    const uasDialog = answerAll(b);
    const out = a.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A });
    const uac = await out.result;
    const uas = await uasDialog;
    expect(uac.answerSdp).toBe(SDP_B);
    expect(uas.remoteSdp).toBe(SDP_A);
    expect([uac.callId, uac.localTag, uac.remoteTag]).toEqual([uas.callId, uas.remoteTag, uas.localTag]);
    const infos: string[] = [];
    uas.on('info', (req, respond) => { infos.push(req.bodyText ?? ''); respond(200); });
    uac.on('info', (req, respond) => { infos.push(req.bodyText ?? ''); respond(202); });
    expect(await uac.info('application/media_control+xml', '<to-uas/>')).toBe(200);
    expect(await uas.info('application/media_control+xml', '<to-uac/>')).toBe(202);
    expect(infos).toEqual(['<to-uas/>', '<to-uac/>']);
    const ended = new Promise((r) => uac.on('terminated', r));
    await uas.bye();
    expect(await ended).toEqual({ by: 'remote' });
    await vi.waitFor(() => { expect(a.stats()).toEqual(drained); expect(b.stats()).toEqual(drained); },
      { timeout: 5000, interval: 50 });
  });

  it('rejects with SipFailure carrying the status and reason', async () => {
    const { a, b, uri } = await pair();
    b.on('invite', (inv) => inv.reject(486, 'Busy Here'));
    const err = await a.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1' }).result.catch((e) => e);
    expect(err).toBeInstanceOf(SipFailure);
    expect([err.status, err.reason]).toEqual([486, 'Busy Here']);
  });

  it('cancel() after ringing: the callee sees cancel, the caller gets 487', async () => {
    const { a, b, uri } = await pair();
    const cancelled = new Promise<void>((resolve) => b.on('invite', (inv) => {
      inv.on('cancel', resolve);
      inv.progress(180);
    }));
    const out = a.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A });
    out.on('provisional', () => out.cancel());
    const err = await out.result.catch((e) => e);
    await cancelled;
    expect(err.status).toBe(487);
  });

  /** Sends a re-INVITE through `from`'s dialog, ACKs its 2xx (RFC 3261 13.2.2.4), returns the final response. */
  async function reinvite(stackOf: SipStack, from: Dialog, sdp: string): Promise<SipResponse> {
    const req = from.createRequest('INVITE');
    req.setBody('application/sdp', sdp);
    const dest = await from.nextHop();
    const final = await new Promise<SipResponse>((resolve) => {
      stackOf.sendRequest(req, dest, {
        onResponse: (r) => { if (r.status >= 200) resolve(r); }, onTimeout: () => undefined, onTransportError: () => undefined,
      });
    });
    if (final.status < 300) stackOf.sendDirect(from.createRequest('ACK', req.cseq.seq), dest);
    return final;
  }

  it('re-INVITE: emitted to a listener; without one answered 200 with the current local SDP', async () => {
    const { a, b, uri } = await pair();
    const uasDialog = answerAll(b);
    const uac = await a.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A }).result;
    const uas = await uasDialog;
    // UAS → UAC: the UAC's dialog has a listener that answers with a new SDP.
    let offered: string | undefined;
    uac.on('reinvite', (offer, respond) => { offered = offer; respond(200, SDP_A.replace('40000', '40010')); });
    const toUac = await reinvite(b, uas, SDP_B.replace('40002', '40012'));
    expect(toUac.status).toBe(200);
    expect(offered).toContain('40012');
    expect(toUac.bodyText).toContain('40010');
    expect(uac.remoteSdp).toContain('40012');
    // UAC → UAS: no listener, so the stack answers with the UAS's current local SDP.
    const toUas = await reinvite(a, uac, SDP_A);
    expect(toUas.status).toBe(200);
    expect(toUas.bodyText).toBe(SDP_B);
    await uac.bye();
    await vi.waitFor(() => { expect(a.stats().dialogs + b.stats().dialogs).toBe(0); });
  });

  it('Timer B: an INVITE to a silent UDP port fails with 408', async () => {
    const { s } = await stack({ t1Ms: 10, t2Ms: 80, t4Ms: 50, tdMs: 50 });
    const silent = await peer();
    const err = await s.invite({ requestUri: `sip:x@127.0.0.1:${silent.port}`, fromUri: 'sip:gw@127.0.0.1' }).result.catch((e) => e);
    expect(err.status).toBe(408);
    expect(silent.all().filter((m) => m.isRequest && m.method === 'INVITE').length).toBeGreaterThan(3);
    expect(s.stats()).toEqual(drained);
  });

  it('close() rejects pending work and clears every transaction and dialog', async () => {
    const { a, b, uri } = await pair();
    b.on('invite', (inv) => inv.progress(180));
    const out = a.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1' });
    await new Promise((r) => out.on('provisional', r));
    expect(a.stats().clientTransactions).toBe(1);
    await a.close();
    await b.close();
    expect((await out.result.catch((e) => e)).status).toBe(503);
    expect(a.stats()).toEqual(drained);
    expect(b.stats()).toEqual(drained);
    await a.close(); // idempotent
  });
});

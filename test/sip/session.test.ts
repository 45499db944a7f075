/**
 * Dialog and session features between two SipStacks on loopback: hold/resume by re-INVITE and
 * UPDATE, 491 glare, delayed offer, 100rel/PRACK, session timers (RFC 4028), CANCEL vs 200, INFO.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, SipStack, type Dialog, type IncomingInvite, type SipRequest, type SipResponse } from '../../sip/index.ts';
import { directionOf } from '../../sip/session/index.ts';
import { captureLogger, FAST_TIMERS, SDP_A, SDP_B } from './helpers.ts';
import { RawPeer, rawRequest, status } from './raw-peer.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function stack(opts: { clock?: ManualClock; minSe?: number } = {}): Promise<SipStack> {
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS,
    clock: opts.clock, sessionTimers: opts.minSe === undefined ? undefined : { minSeSeconds: opts.minSe } });
  open.push(s);
  return s;
}

/** A calls B; B answers with SDP_B. Resolves with both confirmed dialogs. */
async function call(a: SipStack, b: SipStack, extra: { sdp?: string; headers?: Record<string, string>;
  sessionExpires?: number; answer?: (o: string) => string; onInvite?: (inv: IncomingInvite) => void } = {}) {
  const uas = new Promise<Dialog>((resolve, reject) => b.once('invite', (inv) => {
    extra.onInvite?.(inv);
    inv.accept({ sdp: SDP_B }).then(resolve, reject);
  }));
  const out = a.invite({ requestUri: `sip:room@127.0.0.1:${b.port}`, fromUri: 'sip:gw@127.0.0.1',
    sdp: 'sdp' in extra ? extra.sdp : SDP_A, headers: extra.headers, sessionExpires: extra.sessionExpires, answer: extra.answer });
  const [da, db] = await Promise.all([out.result, uas]);
  return { da, db, out };
}

describe('re-INVITE and UPDATE (RFC 3261 14, RFC 3311)', () => {
  it('hold by re-INVITE offers sendonly, the peer answers recvonly, the call stays up; resume restores sendrecv', async () => {
    const a = await stack();
    const b = await stack();
    const { da, db } = await call(a, b);
    const offers: string[] = [];
    da.on('reinvite', (offer, respond) => {
      offers.push(offer ?? '');
      respond(200, SDP_A.replace('t=0 0', `t=0 0\r\na=${directionOf(offer ?? '') === 'sendonly' ? 'recvonly' : 'sendrecv'}`));
    });
    const held = await db.hold();
    expect(held.status).toBe(200);
    expect(directionOf(offers[0])).toBe('sendonly');
    expect(directionOf(db.remoteSdp ?? '')).toBe('recvonly');
    expect(directionOf(da.remoteSdp ?? '')).toBe('sendonly');
    expect(da.terminated || db.terminated).toBe(false);
    await db.resume();
    expect(directionOf(offers[1])).toBe('sendrecv');
    expect(db.offerAnswer.state).toBe('stable');
    await da.bye();
    await vi.waitFor(() => expect(db.terminated).toBe(true));
  });

  it('UPDATE with an offer reaches the app as "update"; without a listener the local SDP answers', async () => {
    const a = await stack();
    const b = await stack();
    const { da, db } = await call(a, b);
    let seen: string | undefined;
    db.on('update', (offer, respond) => { seen = offer; respond(200, SDP_B.replace('40002', '40010')); });
    const r = await da.modify({ method: 'UPDATE', sdp: SDP_A.replace('40000', '40020') });
    expect(r.status).toBe(200);
    expect(seen).toContain('40020');
    expect(da.remoteSdp).toContain('40010');
    const r2 = await db.modify({ method: 'UPDATE', sdp: SDP_B.replace('40002', '40030') });
    expect(r2.sdp).toContain('m=audio 40020'); // A's current local SDP (no 'update' listener at A)
    // Without a listener a hold is still answered correctly (RFC 3264 6.1): sendonly → recvonly.
    const held = await db.hold('UPDATE');
    expect(directionOf(held.sdp ?? '')).toBe('recvonly');
    expect(da.terminated).toBe(false);
    await da.bye();
  });

  it('a rejected re-INVITE leaves the call up (RFC 3261 14.2)', async () => {
    const a = await stack();
    const b = await stack();
    const { da, db } = await call(a, b);
    db.on('reinvite', (_o, respond) => respond(488));
    await expect(da.hold()).rejects.toMatchObject({ status: 488 });
    expect(da.terminated || db.terminated).toBe(false);
    expect(da.offerAnswer.state).toBe('stable');
    await expect(da.info('application/dtmf-relay', 'Signal=1\r\nDuration=160\r\n')).resolves.toBe(200);
    await da.bye();
  });

  it('glare: crossing re-INVITEs get 491, and both retry after the RFC 3261 14.1 wait', async () => {
    const a = await stack();
    const b = await stack();
    const { da, db } = await call(a, b);
    const [ra, rb] = await Promise.all([da.hold(), db.hold()]);
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(da.offerAnswer.state).toBe('stable');
    expect(db.offerAnswer.state).toBe('stable');
    await da.bye();
  });

  it('re-INVITE without SDP: our 2xx carries the offer, the ACK brings the answer', async () => {
    const a = await stack();
    const b = await stack();
    const { da, db } = await call(a, b);
    da.state.localSdp = SDP_A.replace('40000', '40040'); // the answer A's ACK will carry
    const r = await da.modify({ method: 'INVITE' });
    expect(r.sdp).toBe(SDP_B);
    await vi.waitFor(() => expect(db.remoteSdp).toContain('40040'));
    await da.bye();
  });
});

describe('delayed offer (INVITE without SDP)', () => {
  it('the 2xx carries our offer; accept() resolves with the ACK answer as dialog.remoteSdp', async () => {
    const a = await stack();
    const b = await stack();
    let offerAtUas: string | undefined = 'unset';
    const { da, db } = await call(a, b, { sdp: undefined, answer: (offer) => {
      expect(offer).toBe(SDP_B);
      return SDP_A;
    }, onInvite: (inv) => { offerAtUas = inv.offerSdp; } });
    expect(offerAtUas).toBeUndefined();
    expect(da.answerSdp).toBe(SDP_B);
    expect(db.remoteSdp).toBe(SDP_A);
    expect(db.offerAnswer.state).toBe('stable');
    await da.bye();
  });
});

describe('100rel / PRACK (RFC 3262)', () => {
  it('with Require: 100rel the 180 carries RSeq, the UAC PRACKs it, retransmissions stop', async () => {
    const a = await stack();
    const b = await stack();
    const provisionals: number[] = [];
    const early: Dialog[] = [];
    let pending: IncomingInvite | undefined;
    let accepted: Promise<Dialog> | undefined;
    b.once('invite', (inv) => { pending = inv; inv.progress(183, { sdp: SDP_B }); });
    const out = a.invite({ requestUri: `sip:room@127.0.0.1:${b.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
      headers: { Require: '100rel' } });
    out.on('provisional', (s) => provisionals.push(s));
    // The UAS answers once the UAC has seen the reliable 183 (and sent its PRACK).
    out.on('early', (d) => { early.push(d); accepted = pending!.accept({ sdp: SDP_B }); });
    const da = await out.result;
    await accepted;
    expect(early).toHaveLength(1);
    expect(early[0].remoteSdp).toBe(SDP_B); // early media answer
    expect(provisionals.filter((s) => s === 183)).toHaveLength(1); // retransmissions discarded
    await da.bye();
  });

  it('a reliable provisional never PRACKed is retransmitted, then the INVITE gets 504 after 64·T1', async () => {
    const b = await stack();
    const p = await RawPeer.open();
    open.push(p);
    b.on('invite', (inv) => inv.progress(180));
    p.send(rawRequest({ method: 'INVITE', port: b.port, peerPort: p.port, callId: 'rel1', body: SDP_A,
      extra: 'Require: 100rel\r\nSupported: 100rel' }), b.port);
    const first = (await p.next(status(180))) as SipResponse;
    expect(first.headers.get('require')).toBe('100rel');
    expect(Number(first.headers.get('rseq'))).toBeGreaterThan(0);
    const again = (await p.next(status(180))) as SipResponse; // retransmitted at T1
    expect(again.headers.get('rseq')).toBe(first.headers.get('rseq'));
    expect(((await p.next(status(504))) as SipResponse).status).toBe(504);
  });

  it('PRACK with a wrong RAck gets 481; the right one 200', async () => {
    const b = await stack();
    const p = await RawPeer.open();
    open.push(p);
    b.on('invite', (inv) => inv.progress(180));
    p.send(rawRequest({ method: 'INVITE', port: b.port, peerPort: p.port, callId: 'rel2', body: SDP_A,
      extra: 'Require: 100rel' }), b.port);
    const r180 = (await p.next(status(180))) as SipResponse;
    const tag = r180.to.params.get('tag') ?? '';
    const rseq = Number(r180.headers.get('rseq'));
    p.send(rawRequest({ method: 'PRACK', port: b.port, peerPort: p.port, callId: 'rel2', cseq: 2, toTag: tag, branch: 'z9hG4bKpr1',
      extra: `RAck: ${rseq + 5} 1 INVITE` }), b.port);
    expect(((await p.next(status(481))) as SipResponse).cseq.method).toBe('PRACK');
    p.send(rawRequest({ method: 'PRACK', port: b.port, peerPort: p.port, callId: 'rel2', cseq: 3, toTag: tag, branch: 'z9hG4bKpr2',
      extra: `RAck: ${rseq} 1 INVITE` }), b.port);
    expect(((await p.next(status(200))) as SipResponse).cseq.method).toBe('PRACK');
  });
});

describe('session timers (RFC 4028)', () => {
  it('422 below Min-SE; the UAC retries with Min-SE and becomes the refresher', async () => {
    const a = await stack();
    const b = await stack(); // Min-SE 90 (RFC 4028 floor)
    const { da, db } = await call(a, b, { sessionExpires: 30 });
    expect(da.session).toEqual({ seconds: 90, weRefresh: true });
    expect(db.session).toEqual({ seconds: 90, weRefresh: false });
    await da.bye();
  });

  it('the refresher refreshes at half the interval (re-INVITE, peer has no UPDATE in Allow); the call stays up', async () => {
    const clock = new ManualClock();
    const a = await stack({ clock, minSe: 1 });
    const b = await stack({ minSe: 1 });
    const { da, db } = await call(a, b, { sessionExpires: 120 });
    let refreshes = 0;
    db.on('reinvite', (offer, respond) => { refreshes++; respond(200, SDP_B); expect(offer).toBe(SDP_A); });
    clock.advance(59_000);
    expect(refreshes).toBe(0);
    clock.advance(1_000); // 60 s = interval / 2
    await vi.waitFor(() => expect(refreshes).toBe(1));
    expect(da.terminated || db.terminated).toBe(false);
    expect(db.session?.seconds).toBe(120);
    await db.bye();
  });

  it('the non-refresher sends BYE when no refresh came (interval - min(32, interval/3))', async () => {
    const clock = new ManualClock();
    const a = await stack({ minSe: 1 });
    const b = await stack({ clock, minSe: 1 });
    const ended: string[] = [];
    const { da, db } = await call(a, b, { sessionExpires: 120, headers: {} });
    // A (refresher) is on the system clock and refreshes only at 60 s real time: never, here.
    da.on('terminated', (why) => ended.push(why.by));
    db.on('terminated', (why) => ended.push(`b:${why.reason}`));
    clock.advance(87_000);
    expect(db.terminated).toBe(false);
    clock.advance(1_000); // 120 - 32 = 88 s
    expect(db.terminated).toBe(true);
    await vi.waitFor(() => expect(ended).toContain('remote'));
    expect(ended.some((e) => e.includes('session timer expired'))).toBe(true);
  });
});

describe('CANCEL races and INFO', () => {
  it('CANCEL crossing the 200: the UAC ACKs and BYEs the late 2xx; the UAS call ends cleanly', async () => {
    const a = await stack();
    const b = await stack();
    let uasDialog: Dialog | undefined;
    b.on('invite', (inv) => {
      inv.progress(180);
      inv.accept({ sdp: SDP_B }).then((d) => { uasDialog = d; }, () => undefined);
    });
    const out = a.invite({ requestUri: `sip:room@127.0.0.1:${b.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A });
    out.on('provisional', () => out.cancel());
    await expect(out.result).rejects.toMatchObject({ status: 487 });
    await vi.waitFor(() => expect(uasDialog?.terminated).toBe(true));
    await vi.waitFor(() => expect(a.stats().dialogs + b.stats().dialogs).toBe(0));
  });

  it('INFO application/dtmf-relay reaches the app as "info" with its body', async () => {
    const a = await stack();
    const b = await stack();
    const { da, db } = await call(a, b);
    const got: string[] = [];
    db.on('info', (req: SipRequest, respond) => {
      got.push(`${req.headers.get('content-type')}|${req.bodyText}`);
      respond(200);
    });
    expect(await da.info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toBe(200);
    expect(got).toEqual(['application/dtmf-relay|Signal=5\r\nDuration=160\r\n']);
    await da.bye();
  });

  it('OPTIONS advertises UPDATE/PRACK in Allow and 100rel, timer in Supported', async () => {
    const b = await stack();
    const p = await RawPeer.open();
    open.push(p);
    p.send(rawRequest({ method: 'OPTIONS', port: b.port, peerPort: p.port, callId: 'opt' }), b.port);
    const res = (await p.next(status(200))) as SipResponse;
    expect(res.headers.get('allow')).toContain('UPDATE');
    expect(res.headers.get('allow')).toContain('PRACK');
    expect(res.headers.get('supported')).toBe('100rel, timer');
  });
});

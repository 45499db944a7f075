/** SIP over WebSocket (RFC 7118) with the `ws` client as the peer. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseMessage, SipStack, type Dialog, type SipMessage, type SipRequest, type SipResponse } from '../../sip/index.ts';
import { makeTestCerts } from '../fixtures/tls/make-certs.ts';
import { captureLogger, FAST_TIMERS, SDP_A } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function wsStack() {
  const logger = captureLogger();
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, ws: { port: 0, path: '/sip' } });
  open.push(s);
  return { s, logger };
}

/** A WS client that records each frame as one parsed SIP message. */
async function wsClient(url: string, protocols: string[] = ['sip'], ca?: Buffer) {
  const ws = new WebSocket(url, protocols, { ca });
  ws.on('error', () => { /* a refused or aborted handshake is asserted by the test itself */ });
  open.push({ close: async () => { ws.terminate(); } });
  const frames: { message: SipMessage; binary: boolean }[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data, isBinary) => {
    const o = parseMessage(Buffer.from(data as Buffer));
    if (o.kind === 'message') frames.push({ message: o.message, binary: isBinary });
    waiters.splice(0).forEach((w) => w());
  });
  /** Resolves with the first frame matching `pred`. */
  const next = (pred: (m: SipMessage) => boolean): Promise<{ message: SipMessage; binary: boolean }> =>
    new Promise((resolve) => {
      const check = () => {
        const f = frames.find((x) => pred(x.message));
        if (f) resolve(f);
        else waiters.push(check);
      };
      check();
    });
  return { ws, next };
}

function request(method: string, port: number, callId: string, extra: string[] = [], body = ''): string {
  return [
    `${method} sip:room@127.0.0.1:${port};transport=ws SIP/2.0`,
    'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK' + callId, 'Max-Forwards: 70',
    'From: <sip:alice@example.invalid>;tag=wsa', `To: <sip:room@127.0.0.1:${port}>`, `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`, 'Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>', ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

const isStatus = (n: number) => (m: SipMessage) => !m.isRequest && (m as SipResponse).status === n;

describe('SIP over WebSocket (RFC 7118)', () => {
  it('negotiates subprotocol sip and answers OPTIONS in one text frame, Via stamped received', async () => {
    const { s } = await wsStack();
    const { ws, next } = await wsClient(`ws://127.0.0.1:${s.portFor('ws')}/sip`);
    await new Promise((r) => ws.once('open', r));
    expect(ws.protocol).toBe('sip');
    ws.send(request('OPTIONS', s.portFor('ws'), 'ws-opt-1'));
    const { message, binary } = await next(isStatus(200));
    expect(binary).toBe(false); // RFC 7118 5.2: UTF-8 messages in text frames
    const res = message as SipResponse;
    expect(res.callId).toBe('ws-opt-1');
    expect(res.topVia.transport.toUpperCase()).toBe('WS');
    expect(res.topVia.params.get('received')).toBe('127.0.0.1');
    expect(res.headers.get('allow')).toContain('INVITE');
  });

  it('delivers an INVITE frame to the application, whose 200 carries a transport=ws Contact', async () => {
    const { s } = await wsStack();
    let source = '';
    const confirmed = new Promise<string>((resolve, reject) => s.on('invite', (inv) => {
      source = inv.source.transport;
      inv.accept({ sdp: SDP_A }).then((d) => resolve(d.callId), reject);
    }));
    const { ws, next } = await wsClient(`ws://127.0.0.1:${s.portFor('ws')}/sip`);
    await new Promise((r) => ws.once('open', r));
    ws.send(request('INVITE', s.portFor('ws'), 'ws-inv-1', ['Content-Type: application/sdp'], SDP_A));
    const ok = (await next(isStatus(200))).message as SipResponse;
    expect(source).toBe('ws');
    expect(ok.headers.get('contact')).toContain(`:${s.portFor('ws')};transport=ws`);
    expect(ok.bodyText).toBe(SDP_A);
    // RFC 3261 13.2.2.4: the ACK for the 2xx, in its own frame, confirms the dialog.
    const ack = request('ACK', s.portFor('ws'), 'ws-inv-1').replace('branch=z9hG4bKws-inv-1', 'branch=z9hG4bKws-ack-1')
      .replace(`To: <sip:room@127.0.0.1:${s.portFor('ws')}>`, `To: ${ok.headers.get('to')}`);
    ws.send(ack);
    expect(await confirmed).toBe('ws-inv-1');
    expect(s.stats().dialogs).toBe(1);
  });

  it('sends its BYE to the WS client over the same connection (Contact host .invalid, RFC 7118 5.2)', async () => {
    const { s } = await wsStack();
    const confirmed = new Promise<Dialog>((resolve, reject) =>
      s.on('invite', (inv) => { inv.accept({ sdp: SDP_A }).then(resolve, reject); }));
    const { ws, next } = await wsClient(`ws://127.0.0.1:${s.portFor('ws')}/sip`);
    await new Promise((r) => ws.once('open', r));
    ws.send(request('INVITE', s.portFor('ws'), 'ws-bye-1', ['Content-Type: application/sdp'], SDP_A));
    const ok = (await next(isStatus(200))).message as SipResponse;
    ws.send(request('ACK', s.portFor('ws'), 'ws-bye-1').replace('branch=z9hG4bKws-bye-1', 'branch=z9hG4bKws-ack-2')
      .replace(`To: <sip:room@127.0.0.1:${s.portFor('ws')}>`, `To: ${ok.headers.get('to')}`));
    const dialog = await confirmed;
    const byeDone = dialog.bye();
    const bye = (await next((m) => m.isRequest && (m as SipRequest).method === 'BYE')).message;
    expect(bye.topVia.transport.toUpperCase()).toBe('WS');
    const via = bye.headers.getAll('via').map((v) => `Via: ${v}`);
    ws.send(['SIP/2.0 200 OK', ...via, `From: ${bye.headers.get('from')}`, `To: ${bye.headers.get('to')}`,
      `Call-ID: ${bye.callId}`, `CSeq: ${bye.headers.get('cseq')}`, 'Content-Length: 0', '', ''].join('\r\n'));
    await byeDone;
    expect(s.stats().dialogs).toBe(0);
  });

  it('refuses a handshake that does not offer the sip subprotocol (RFC 7118 4.1)', async () => {
    const { s } = await wsStack();
    const ws = new WebSocket(`ws://127.0.0.1:${s.portFor('ws')}/sip`, ['chat']);
    ws.on('error', () => { /* the refusal is asserted below */ });
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(400);
    expect(s.transportStats().connections.ws).toBe(0);
  });

  it('serves secure WebSocket (wss://) with the TLS certificate; Via transport WSS', async () => {
    const certs = makeTestCerts();
    open.push({ close: async () => certs.remove() });
    const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS,
      tls: { port: 0, certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile }, wss: { port: 0, path: '/sip' } });
    open.push(s);
    const { ws, next } = await wsClient(`wss://127.0.0.1:${s.portFor('wss')}/sip`, ['sip'], readFileSync(certs.caFile));
    await new Promise((r) => ws.once('open', r));
    ws.send(request('OPTIONS', s.portFor('wss'), 'wss-opt-1').replace('SIP/2.0/WS ', 'SIP/2.0/WSS '));
    const res = (await next(isStatus(200))).message as SipResponse;
    expect(res.topVia.transport.toUpperCase()).toBe('WSS');
    expect(s.transportStats().connections.wss).toBe(1);
  });
});

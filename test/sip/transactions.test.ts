import { describe, expect, it } from 'vitest';
import { createResponse, ManualClock, parseMessage, type SipMessage, SipRequest, type SipResponse } from '../../sip/index.ts';
import { InviteClientTransaction } from '../../sip/transaction/invite-client.ts';
import { InviteServerTransaction } from '../../sip/transaction/invite-server.ts';
import { NonInviteClientTransaction } from '../../sip/transaction/non-invite-client.ts';
import { NonInviteServerTransaction } from '../../sip/transaction/non-invite-server.ts';
import type { TransactionContext } from '../../sip/transaction/types.ts';
import { captureLogger } from './helpers.ts';

const T = { t1: 500, t2: 4000, t4: 5000, td: 32000 };

function harness(reliable = false) {
  const clock = new ManualClock();
  const sent: { at: number; msg: SipMessage }[] = [];
  let terminated = 0;
  const ctx: TransactionContext = {
    clock, timers: T, reliable, logger: captureLogger(),
    send: (msg) => sent.push({ at: clock.now(), msg }),
    onTerminated: () => { terminated++; },
  };
  return { clock, sent, ctx, terminatedCount: () => terminated };
}

function request(method: string): SipRequest {
  const text = `${method} sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtx1\r\n` +
    `From: <sip:a@127.0.0.1>;tag=f1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: tx-test\r\nCSeq: 1 ${method}\r\nMax-Forwards: 70\r\n\r\n`;
  const o = parseMessage(Buffer.from(text));
  if (o.kind !== 'message') throw new Error('bad fixture');
  return o.message as SipRequest;
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    user: {
      onResponse: (r: SipResponse) => events.push(`response ${r.status}`),
      onTimeout: () => events.push('timeout'),
      onTransportError: (e: Error) => events.push(`error ${e.message}`),
    },
  };
}

describe('INVITE client transaction (RFC 3261 17.1.1)', () => {
  it('retransmits INVITE at T1, 2·T1, 4·T1 … until Timer B fires at 64·T1, then reports timeout', () => {
    const h = harness();
    const r = recorder();
    const tx = new InviteClientTransaction(request('INVITE'), 'k', h.ctx, r.user);
    tx.start();
    h.clock.advance(64 * T.t1);
    // sends at 0, 500, 1500, 3500, 7500, 15500, 31500 (Timer A doubling), Timer B at 32000
    expect(h.sent.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(r.events).toEqual(['timeout']);
    expect(tx.state).toBe('terminated');
    expect(h.terminatedCount()).toBe(1);
    expect(h.clock.pending).toBe(0);
  });

  it('does not retransmit over a reliable transport, but Timer B still fires', () => {
    const h = harness(true);
    const r = recorder();
    const tx = new InviteClientTransaction(request('INVITE'), 'k', h.ctx, r.user);
    tx.start();
    h.clock.advance(64 * T.t1);
    expect(h.sent).toHaveLength(1);
    expect(r.events).toEqual(['timeout']);
    expect(tx.state).toBe('terminated');
  });

  it('stops retransmitting on a provisional response and waits without Timer B', () => {
    const h = harness();
    const r = recorder();
    const inv = request('INVITE');
    const tx = new InviteClientTransaction(inv, 'k', h.ctx, r.user);
    tx.start();
    h.clock.advance(600);
    tx.receive(createResponse(inv, 180, undefined, 'tt'));
    h.clock.advance(100_000);
    expect(h.sent).toHaveLength(2);
    expect(tx.state).toBe('proceeding');
    expect(r.events).toEqual(['response 180']);
  });

  it('ACKs a non-2xx final response, re-ACKs its retransmission, and ends after Timer D', () => {
    const h = harness();
    const r = recorder();
    const inv = request('INVITE');
    const tx = new InviteClientTransaction(inv, 'k', h.ctx, r.user);
    tx.start();
    const busy = createResponse(inv, 486, undefined, 'tt');
    tx.receive(busy);
    tx.receive(busy);
    const acks = h.sent.filter((s) => s.msg.isRequest && s.msg.method === 'ACK').map((s) => s.msg as SipRequest);
    expect(acks).toHaveLength(2);
    expect(acks[0].headers.get('to')).toContain('tag=tt');
    expect(acks[0].cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(acks[0].topVia.params.get('branch')).toBe('z9hG4bKtx1'); // RFC 3261 17.1.1.3: same branch
    expect(r.events).toEqual(['response 486']);
    h.clock.advance(T.td - 1);
    expect(tx.state).toBe('completed');
    h.clock.advance(1);
    expect(tx.state).toBe('terminated');
  });

  it('passes 2xx and its retransmissions up in Accepted and ends after Timer M (RFC 6026)', () => {
    const h = harness();
    const r = recorder();
    const inv = request('INVITE');
    const tx = new InviteClientTransaction(inv, 'k', h.ctx, r.user);
    tx.start();
    const ok = createResponse(inv, 200, undefined, 'tt');
    tx.receive(ok);
    tx.receive(ok);
    expect(r.events).toEqual(['response 200', 'response 200']);
    expect(tx.state).toBe('accepted');
    expect(h.sent).toHaveLength(1); // the transaction never ACKs a 2xx (RFC 3261 13.2.2.4)
    h.clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE client transaction (RFC 3261 17.1.2)', () => {
  it('retransmits at T1, 2·T1 … capped at T2; Timer F fires → timeout', () => {
    const h = harness();
    const r = recorder();
    const tx = new NonInviteClientTransaction(request('BYE'), 'k', h.ctx, r.user);
    tx.start();
    h.clock.advance(64 * T.t1);
    const gaps = h.sent.map((s) => s.at).map((t, i, a) => (i === 0 ? 0 : t - a[i - 1]));
    expect(gaps.slice(0, 6)).toEqual([0, 500, 1000, 2000, 4000, 4000]);
    expect(Math.max(...gaps)).toBe(T.t2);
    expect(r.events).toEqual(['timeout']);
    expect(tx.state).toBe('terminated');
  });

  it('retransmits every T2 once Proceeding; Timer K = T4 after the final response', () => {
    const h = harness();
    const r = recorder();
    const req = request('INFO');
    const tx = new NonInviteClientTransaction(req, 'k', h.ctx, r.user);
    tx.start();
    tx.receive(createResponse(req, 100));
    h.clock.advance(500);
    expect(h.sent.map((s) => s.at)).toEqual([0, 500]);
    h.clock.advance(T.t2);
    expect(h.sent.map((s) => s.at)).toEqual([0, 500, 4500]);
    tx.receive(createResponse(req, 200, undefined, 'x'));
    tx.receive(createResponse(req, 200, undefined, 'x'));
    expect(r.events).toEqual(['response 100', 'response 200']);
    h.clock.advance(T.t4 - 1);
    expect(tx.state).toBe('completed');
    h.clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.clock.pending).toBe(0);
  });
});

describe('INVITE server transaction (RFC 3261 17.2.1, RFC 6026)', () => {
  it('answers a retransmitted INVITE with the last provisional', () => {
    const h = harness();
    const inv = request('INVITE');
    const tx = new InviteServerTransaction(inv, 'k', h.ctx);
    tx.receive(inv);
    expect(h.sent).toHaveLength(0); // nothing to repeat yet
    tx.respond(createResponse(inv, 100));
    tx.respond(createResponse(inv, 180, undefined, 'l'));
    tx.receive(inv);
    expect(h.sent.map((s) => (s.msg as SipResponse).status)).toEqual([100, 180, 180]);
  });

  it('retransmits a non-2xx final at T1, 2·T1 … capped at T2 until ACK; Timer I then ends it', () => {
    const h = harness();
    const inv = request('INVITE');
    const tx = new InviteServerTransaction(inv, 'k', h.ctx);
    tx.respond(createResponse(inv, 486, undefined, 'l'));
    h.clock.advance(15_000);
    const times = h.sent.map((s) => s.at);
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500]);
    const ack = request('ACK');
    tx.receive(ack);
    expect(tx.state).toBe('confirmed');
    h.clock.advance(10_000);
    expect(h.sent).toHaveLength(6); // no more retransmissions after ACK
    expect(tx.state).toBe('terminated');
  });

  it('Timer H fires at 64·T1 without ACK and reports it', () => {
    const h = harness();
    const inv = request('INVITE');
    const tx = new InviteServerTransaction(inv, 'k', h.ctx);
    let timedOut = 0;
    tx.user = { onTimeout: () => { timedOut++; } };
    tx.respond(createResponse(inv, 603, undefined, 'l'));
    h.clock.advance(64 * T.t1);
    expect(timedOut).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(h.clock.pending).toBe(0);
  });

  it('absorbs INVITE retransmissions in Accepted, passes 2xx ACK up, ends at Timer L', () => {
    const h = harness();
    const inv = request('INVITE');
    const tx = new InviteServerTransaction(inv, 'k', h.ctx);
    const acks: SipRequest[] = [];
    tx.user = { onAck: (a) => acks.push(a) };
    tx.respond(createResponse(inv, 200, undefined, 'l'));
    tx.receive(inv);
    tx.receive(request('ACK'));
    expect(h.sent).toHaveLength(1);
    expect(acks).toHaveLength(1);
    h.clock.advance(64 * T.t1 - 1);
    expect(tx.state).toBe('accepted');
    h.clock.advance(1);
    expect(tx.state).toBe('terminated');
  });
});

describe('non-INVITE server transaction (RFC 3261 17.2.2)', () => {
  it('absorbs retransmissions while Trying, repeats the final in Completed, ends at Timer J', () => {
    const h = harness();
    const req = request('BYE');
    const tx = new NonInviteServerTransaction(req, 'k', h.ctx);
    tx.receive(req);
    expect(h.sent).toHaveLength(0);
    tx.respond(createResponse(req, 200));
    tx.receive(req);
    expect(h.sent).toHaveLength(2);
    h.clock.advance(64 * T.t1);
    expect(tx.state).toBe('terminated');
    expect(h.terminatedCount()).toBe(1);
  });

  it('ends at once over a reliable transport (Timer J = 0)', () => {
    const h = harness(true);
    const req = request('OPTIONS');
    const tx = new NonInviteServerTransaction(req, 'k', h.ctx);
    tx.respond(createResponse(req, 200));
    h.clock.advance(0);
    expect(tx.state).toBe('terminated');
  });
});

// RAS transport unit cases (H.225.0 clause 7): requestSeqNum matching, retransmission on the RAS
// timer, RequestInProgress, XRS, malformed input, closing. In memory on a manual clock.
import { describe, expect, it } from 'vitest';
import {
  H225_PROTOCOL_ID, choice, decodeRas, encodeRas, h225Address, registrationRequest, unregistrationConfirm, type IpPort, type RasMessage,
} from '../../h323/asn1/index.ts';
import { RasClosedError, RasNotUnderstoodError, RasTimeoutError, RasTransport, type RasSocket } from '../../h323/ras/index.ts';
import { ManualClock } from '../../sip/index.ts';

const GK: IpPort = { ip: '127.0.0.1', port: 1719 };
const ME: IpPort = { ip: '127.0.0.1', port: 40000 };

class MemorySocket implements RasSocket {
  sent: { bytes: Uint8Array; to: IpPort }[] = [];
  closed = false;
  private fn: (b: Uint8Array, from: IpPort) => void = () => {};
  send(bytes: Uint8Array, to: IpPort): void { this.sent.push({ bytes, to }); }
  onMessage(fn: (b: Uint8Array, from: IpPort) => void): void { this.fn = fn; }
  localAddress(): IpPort { return ME; }
  close(): void { this.closed = true; }
  deliver(msg: RasMessage | Uint8Array, from: IpPort = GK): void { this.fn(msg instanceof Uint8Array ? msg : encodeRas(msg), from); }
  lastSeq(): number { return (decodeRas(this.sent.at(-1)!.bytes).value as { requestSeqNum: number }).requestSeqNum; }
}

function recordingLogger() {
  const warns: string[] = [];
  return { warns, logger: { debug() {}, info() {}, warn: (m: string) => void warns.push(m), error() {} } };
}

const rrq = (seq: number) => registrationRequest({ seq, callSignalAddress: ME, rasAddress: ME, aliases: [{ h323Id: 'roomgate' }], timeToLiveS: 60 });
const urq = (seq: number) => choice('unregistrationRequest', { requestSeqNum: seq, callSignalAddress: [h225Address(ME)] });
const rcf = (seq: number, ep = 'EP-1') => choice('registrationConfirm', {
  requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, callSignalAddress: [h225Address(ME)], endpointIdentifier: ep,
});
const ucf = (seq: number) => unregistrationConfirm(seq);

function setup(o: { timeoutMs?: number; retries?: number } = {}) {
  const socket = new MemorySocket();
  const clock = new ManualClock();
  const log = recordingLogger();
  const t = new RasTransport({ socket, clock, logger: log.logger, timeoutMs: o.timeoutMs ?? 1000, retries: o.retries ?? 2 });
  return { socket, clock, t, warns: log.warns };
}

describe('RasTransport', () => {
  it('matches each answer to its request by the echoed requestSeqNum, in any order', async () => {
    const { socket, t } = setup();
    const a = t.request(rrq, GK);
    const seqA = socket.lastSeq();
    const b = t.request(urq, GK);
    const seqB = socket.lastSeq();
    expect(seqB).not.toBe(seqA);
    socket.deliver(ucf(seqB));
    socket.deliver(rcf(seqA, 'EP-A'));
    expect((await a).value.endpointIdentifier).toBe('EP-A');
    expect((await b).type).toBe('unregistrationConfirm');
    expect(t.stats.answersMatched).toBe(2);
    expect(t.pendingCount).toBe(0);
  });

  it('drops an answer with an unknown seq, from another address, or of another request kind', async () => {
    const { socket, t } = setup();
    const p = t.request(rrq, GK);
    const seq = socket.lastSeq();
    socket.deliver(rcf(seq === 1 ? 2 : seq - 1)); // unknown seq
    socket.deliver(rcf(seq), { ip: '127.0.0.2', port: 1719 }); // someone else
    socket.deliver(ucf(seq)); // a UCF cannot answer an RRQ
    expect(t.stats.unmatchedAnswers).toBe(3);
    expect(t.pendingCount).toBe(1);
    socket.deliver(rcf(seq, 'EP-ok'));
    expect((await p).value.endpointIdentifier).toBe('EP-ok');
  });

  it('retransmits the same octets (same requestSeqNum) every timeoutMs, then fails with RasTimeoutError naming message and gatekeeper', async () => {
    const { socket, clock, t } = setup({ timeoutMs: 1000, retries: 2 });
    const p = t.request(rrq, GK, { peerName: 'gk-test' });
    const outcome = p.catch((e: unknown) => e);
    expect(socket.sent).toHaveLength(1);
    clock.advance(999);
    expect(socket.sent).toHaveLength(1);
    clock.advance(1);
    expect(socket.sent).toHaveLength(2);
    clock.advance(1000);
    expect(socket.sent).toHaveLength(3);
    expect(new Set(socket.sent.map((s) => Buffer.from(s.bytes).toString('hex'))).size).toBe(1);
    clock.advance(999);
    expect(t.pendingCount).toBe(1);
    clock.advance(1);
    const err = await outcome;
    expect(err).toBeInstanceOf(RasTimeoutError);
    expect((err as RasTimeoutError).message).toMatch(/registrationRequest to gatekeeper gk-test \(127\.0\.0\.1:1719\) unanswered after 3 attempt/);
    expect((err as RasTimeoutError).releaseReason).toBe('unreachableGatekeeper');
    expect(socket.sent).toHaveLength(3);
    expect(t.stats).toMatchObject({ requestsSent: 1, retransmissions: 2, timeouts: 1 });
    expect(clock.pending).toBe(0);
  });

  it('answers arriving after a retransmission still complete the request', async () => {
    const { socket, clock, t } = setup();
    const p = t.request(rrq, GK);
    clock.advance(1000);
    socket.deliver(rcf(socket.lastSeq()));
    await expect(p).resolves.toMatchObject({ type: 'registrationConfirm' });
    socket.deliver(rcf(socket.lastSeq())); // the duplicate answer to the retransmission
    expect(t.stats.unmatchedAnswers).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('RequestInProgress (H.225.0 7.13) holds the request for its delay instead of the RAS timeout', async () => {
    const { socket, clock, t } = setup({ timeoutMs: 1000, retries: 1 });
    const p = t.request(rrq, GK);
    const seq = socket.lastSeq();
    clock.advance(500);
    socket.deliver(choice('requestInProgress', { requestSeqNum: seq, delay: 5000 }));
    clock.advance(4999);
    expect(socket.sent).toHaveLength(1); // no retransmission during the delay
    expect(t.pendingCount).toBe(1);
    clock.advance(1);
    expect(socket.sent).toHaveLength(2); // the delay ran out: retry
    socket.deliver(rcf(seq));
    await expect(p).resolves.toMatchObject({ type: 'registrationConfirm' });
    expect(t.stats.requestsInProgress).toBe(1);
  });

  it('XRS (UnknownMessageResponse) fails the request with RasNotUnderstoodError', async () => {
    const { socket, t } = setup();
    const p = t.request(rrq, GK, { peerName: 'gk-x' });
    socket.deliver(choice('unknownMessageResponse', { requestSeqNum: socket.lastSeq(), messageNotUnderstood: Uint8Array.of(1, 2) }));
    await expect(p).rejects.toBeInstanceOf(RasNotUnderstoodError);
  });

  it('drops malformed datagrams, logging once per source, and keeps working', async () => {
    const { socket, t, warns } = setup();
    const p = t.request(rrq, GK);
    const junk = Uint8Array.of(0xff, 0xff, 0xff);
    socket.deliver(junk);
    socket.deliver(Uint8Array.of());
    socket.deliver(junk, { ip: '127.0.0.9', port: 9 });
    socket.deliver(encodeRas(rcf(socket.lastSeq())).subarray(0, 4)); // truncated
    expect(t.stats.malformedDropped).toBe(4);
    expect(warns.filter((w) => w.includes('malformed'))).toHaveLength(2);
    socket.deliver(rcf(socket.lastSeq()));
    await expect(p).resolves.toMatchObject({ type: 'registrationConfirm' });
  });

  it('hands the gatekeeper\'s requests to the handler; reply() answers the source', () => {
    const { socket, t } = setup();
    t.onRequest((req) => req.reply(unregistrationConfirm((req.message.value as { requestSeqNum: number }).requestSeqNum)));
    socket.deliver(urq(4242));
    expect(socket.sent).toHaveLength(1);
    expect(socket.sent[0]!.to).toEqual(GK);
    expect(decodeRas(socket.sent[0]!.bytes)).toEqual(unregistrationConfirm(4242));
    expect(t.stats.incomingRequests).toBe(1);
  });

  it('close() rejects pending requests with RasClosedError, cancels timers and closes the socket (idempotent)', async () => {
    const { socket, clock, t } = setup();
    const p = t.request(rrq, GK);
    t.close();
    t.close();
    await expect(p).rejects.toBeInstanceOf(RasClosedError);
    await expect(t.request(rrq, GK)).rejects.toBeInstanceOf(RasClosedError);
    expect(clock.pending).toBe(0);
    expect(socket.closed).toBe(true);
  });

  it('allocates requestSeqNum in 1..65535 and never reuses one still pending', () => {
    const { socket, t } = setup();
    const seen = new Set<number>();
    for (let i = 0; i < 70_000 - 65535 + 100; i++) {
      void t.request(rrq, GK).catch(() => {});
      const s = socket.lastSeq();
      expect(s).toBeGreaterThanOrEqual(1);
      expect(s).toBeLessThanOrEqual(65535);
      expect(seen.has(s)).toBe(false);
      seen.add(s);
    }
    t.close();
  });
});

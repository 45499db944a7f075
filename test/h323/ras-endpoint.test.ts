// RasEndpoint unit cases on a manual clock with an in-memory gatekeeper: keepalive timing
// (H.225.0 7.9.1), loss of registration and re-registration, discoveryRequired, IRQ/IRR,
// gatekeeper DRQ, BRJ, state guards, no timer left behind.
import { describe, expect, it } from 'vitest';
import {
  H225_PROTOCOL_ID, choice, decodeRas, encodeRas, h225Address, unregistrationConfirm, type IpPort, type RasMessage,
} from '../../h323/asn1/index.ts';
import { RasEndpoint, RasNotRegisteredError, RasRejectError, RasTimeoutError, RasTransport, type RasCall, type RasSocket } from '../../h323/ras/index.ts';
import { ManualClock } from '../../sip/index.ts';

const GK: IpPort = { ip: '127.0.0.1', port: 1719 };
const ME: IpPort = { ip: '127.0.0.1', port: 40000 };
const CSA: IpPort = { ip: '127.0.0.1', port: 1720 };

/** In-memory socket whose sends are answered by `gk` (a scripted gatekeeper) on the next tick. */
class ScriptedGatekeeper implements RasSocket {
  sent: { msg: RasMessage; to: IpPort }[] = [];
  gk: (m: RasMessage) => RasMessage | undefined = () => undefined;
  /** A second port the gatekeeper answers on (a GCF rasAddress of its own). */
  altPort = -1;
  private fn: (b: Uint8Array, from: IpPort) => void = () => {};
  send(bytes: Uint8Array, to: IpPort): void {
    const msg = decodeRas(bytes);
    this.sent.push({ msg, to });
    const answer = to.ip === GK.ip && (to.port === GK.port || to.port === this.altPort) ? this.gk(msg) : undefined;
    if (answer) queueMicrotask(() => this.deliver(answer, to));
  }
  onMessage(fn: (b: Uint8Array, from: IpPort) => void): void { this.fn = fn; }
  localAddress(): IpPort { return ME; }
  close(): void {}
  deliver(msg: RasMessage, from: IpPort = GK): void { this.fn(encodeRas(msg), from); }
  types(): string[] { return this.sent.map((s) => (s.msg.type === 'registrationRequest' && (s.msg.value as { keepAlive: boolean }).keepAlive ? 'keepAlive' : s.msg.type)); }
}

const seqOf = (m: RasMessage) => (m.value as { requestSeqNum: number }).requestSeqNum;
const rcf = (seq: number, ttl?: number) => choice('registrationConfirm', {
  requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, callSignalAddress: [h225Address(CSA)], gatekeeperIdentifier: 'GK',
  endpointIdentifier: 'EP-9', ...(ttl ? { timeToLive: ttl } : {}), willRespondToIRR: false, maintainConnection: false,
});
const UUIES = { setup: false, callProceeding: false, connect: false, alerting: false, information: false, releaseComplete: false, facility: false, progress: false, empty: false, status: false, statusInquiry: false, setupAcknowledge: false, notify: false };

/** Grants everything; `ttl` in the RCF. */
function granting(ttl?: number) {
  return (m: RasMessage): RasMessage | undefined => {
    const seq = seqOf(m);
    switch (m.type) {
      case 'gatekeeperRequest': return choice('gatekeeperConfirm', { requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, gatekeeperIdentifier: 'GK', rasAddress: h225Address(GK) });
      case 'registrationRequest': return rcf(seq, ttl);
      case 'admissionRequest': return choice('admissionConfirm', { requestSeqNum: seq, bandWidth: 7680, callModel: choice('direct', null), destCallSignalAddress: h225Address(CSA), willRespondToIRR: false, uuiesRequested: UUIES });
      case 'unregistrationRequest': return unregistrationConfirm(seq);
      default: return undefined;
    }
  };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(ttl?: number, o: { discovery?: boolean } = {}) {
  const socket = new ScriptedGatekeeper();
  socket.gk = granting(ttl);
  const clock = new ManualClock();
  const transport = new RasTransport({ socket, clock, timeoutMs: 1000, retries: 1 });
  const ep = new RasEndpoint({
    gatekeeper: { name: 'gk-unit', host: GK.ip, port: GK.port }, transport, aliases: [{ h323Id: 'roomgate' }], callSignalAddress: CSA,
    timeToLiveS: ttl ?? 0, reregisterBackoffMs: 5000, clock, discovery: o.discovery,
  });
  const events: string[] = [];
  ep.on('registered', () => events.push('registered'));
  ep.on('unregistered', (e) => events.push(`unregistered:${e.by}`));
  ep.on('error', (e) => events.push(`error:${e.name}`));
  return { socket, clock, transport, ep, events };
}

const aCall = (crv: number, id: number): RasCall => ({
  callId: new Uint8Array(16).fill(id), conferenceId: new Uint8Array(16).fill(id + 100), callReference: crv, answerCall: false, destination: [{ dialledDigits: '1' }],
});

describe('RasEndpoint', () => {
  it('sends the lightweight RRQ at timeToLive minus min(25 %, 30 s): 270 s for 300 s, 6 s for 8 s', async () => {
    for (const [ttl, at] of [[300, 270_000], [8, 6000]] as const) {
      const { socket, clock, ep } = setup(ttl);
      await ep.register();
      clock.advance(at - 1);
      expect(socket.types()).toEqual(['registrationRequest']);
      clock.advance(1);
      expect(socket.types()).toEqual(['registrationRequest', 'keepAlive']);
      await flush();
      // The RCF re-arms the timer: the next keepalive one period later.
      clock.advance(at);
      expect(socket.types()).toEqual(['registrationRequest', 'keepAlive', 'keepAlive']);
      ep.close();
    }
  });

  it('without a timeToLive (none asked, none granted) sends no keepalive', async () => {
    const { socket, clock, ep } = setup(undefined);
    await ep.register();
    expect(clock.pending).toBe(0);
    clock.advance(3_600_000);
    expect(socket.types()).toEqual(['registrationRequest']);
  });

  it('an unanswered keepalive loses the registration (error, unregistered) and a full RRQ follows after the backoff', async () => {
    const { socket, clock, ep, events } = setup(8);
    await ep.register();
    socket.gk = () => undefined; // the gatekeeper goes silent
    clock.advance(6000);
    clock.advance(1000); // retransmission
    clock.advance(1000); // timeout
    await flush();
    expect(events).toEqual(['registered', 'error:RasTimeoutError', 'unregistered:failure']);
    expect(ep.state).toBe('unregistered');
    await expect(ep.admit(aCall(1, 1))).rejects.toBeInstanceOf(RasNotRegisteredError);
    socket.gk = granting(8);
    clock.advance(4999);
    expect(socket.types().filter((t) => t === 'registrationRequest')).toHaveLength(1);
    clock.advance(1);
    await flush();
    expect(socket.types().at(-1)).toBe('registrationRequest');
    expect(events.at(-1)).toBe('registered');
    expect(ep.state).toBe('registered');
  });

  it('a keepalive answered RRJ discoveryRequired is followed by GRQ then a full RRQ', async () => {
    const { socket, clock, ep } = setup(8);
    await ep.register();
    const grant = granting(8);
    socket.gk = (m) => ((m.value as { keepAlive?: boolean }).keepAlive
      ? choice('registrationReject', { requestSeqNum: seqOf(m), protocolIdentifier: H225_PROTOCOL_ID, rejectReason: choice('discoveryRequired', null) })
      : grant(m));
    clock.advance(6000);
    for (let i = 0; i < 5; i++) await flush();
    expect(socket.types()).toEqual(['registrationRequest', 'keepAlive', 'gatekeeperRequest', 'registrationRequest']);
    expect(ep.state).toBe('registered');
    expect(ep.stats()).toMatchObject({ registrations: 2, keepAlives: 1 });
  });

  it('after GRQ/GCF sends RAS to the GCF rasAddress and accepts the gatekeeper\'s requests from there', async () => {
    const { socket, ep } = setup(undefined, { discovery: true });
    const alt = { ip: GK.ip, port: 1818 };
    socket.altPort = alt.port;
    const grant = granting();
    socket.gk = (m) => (m.type === 'gatekeeperRequest'
      ? choice('gatekeeperConfirm', { requestSeqNum: seqOf(m), protocolIdentifier: H225_PROTOCOL_ID, gatekeeperIdentifier: 'GK', rasAddress: h225Address(alt) })
      : grant(m));
    await ep.register();
    expect(socket.sent.map((s) => s.to.port)).toEqual([GK.port, alt.port]);
    expect((socket.sent[1]!.msg.value as { discoveryComplete: boolean }).discoveryComplete).toBe(true);
    socket.deliver(choice('unregistrationRequest', { requestSeqNum: 9, callSignalAddress: [h225Address(CSA)] }), alt);
    expect(socket.sent.at(-1)).toEqual({ msg: unregistrationConfirm(9), to: alt });
  });

  it('answers IRQ for one call reference with that call only, to the replyAddress when given', async () => {
    const { socket, ep } = setup();
    await ep.register();
    await ep.admit(aCall(11, 1));
    await ep.admit(aCall(12, 2));
    const reply = { ip: '127.0.0.3', port: 7000 };
    socket.deliver(choice('infoRequest', { requestSeqNum: 5, callReferenceValue: 12, replyAddress: h225Address(reply), callIdentifier: { guid: new Uint8Array(16) } }));
    const irr = socket.sent.at(-1)!;
    expect(irr.msg.type).toBe('infoRequestResponse');
    expect(irr.to).toEqual(reply);
    const calls = (irr.msg.value as { perCallInfo: { callReferenceValue: number }[] }).perCallInfo;
    expect(calls.map((c) => c.callReferenceValue)).toEqual([12]);
    socket.deliver(choice('infoRequest', { requestSeqNum: 6, callReferenceValue: 0, callIdentifier: { guid: new Uint8Array(16) } }));
    expect((socket.sent.at(-1)!.msg.value as { perCallInfo: unknown[] }).perCallInfo).toHaveLength(2);
    expect(socket.sent.at(-1)!.to).toEqual(GK);
  });

  it('a gatekeeper DRQ for an admitted call gets DCF and a disengageRequested event; for an unknown call DRJ', async () => {
    const { socket, ep } = setup();
    await ep.register();
    const c = aCall(3, 7);
    await ep.admit(c);
    const drops: unknown[] = [];
    ep.on('disengageRequested', (d) => drops.push(d));
    const drq = (seq: number, id: Uint8Array) => choice('disengageRequest', {
      requestSeqNum: seq, endpointIdentifier: 'EP-9', conferenceID: c.conferenceId, callReferenceValue: 3,
      disengageReason: choice('forcedDrop', null), callIdentifier: { guid: id }, answeredCall: false,
    });
    socket.deliver(drq(20, c.callId));
    expect(socket.sent.at(-1)!.msg).toEqual(choice('disengageConfirm', { requestSeqNum: 20 }));
    expect(drops).toEqual([{ callId: c.callId, reason: 'forcedDrop' }]);
    expect(ep.stats().activeCalls).toBe(0);
    socket.deliver(drq(21, new Uint8Array(16).fill(99)));
    expect(socket.sent.at(-1)!.msg.type).toBe('disengageReject');
  });

  it('an unanswered ARQ fails admit() with RasTimeoutError, reported once, and the call is not tracked', async () => {
    const { socket, clock, ep, events } = setup();
    await ep.register();
    socket.gk = () => undefined;
    const p = ep.admit(aCall(5, 5)).catch((e: unknown) => e);
    clock.advance(1000);
    clock.advance(1000);
    const err = await p;
    expect(err).toBeInstanceOf(RasTimeoutError);
    expect((err as RasTimeoutError).releaseReason).toBe('unreachableGatekeeper');
    expect(events).toEqual(['registered', 'error:RasTimeoutError']);
    expect(ep.stats()).toMatchObject({ activeCalls: 0, state: 'registered', lastError: (err as Error).message });
  });

  it('BRJ fails bandwidth() with the reason and allowedBandWidth', async () => {
    const { socket, ep } = setup();
    await ep.register();
    socket.gk = (m) => (m.type === 'bandwidthRequest'
      ? choice('bandwidthReject', { requestSeqNum: seqOf(m), rejectReason: choice('insufficientResources', null), allowedBandWidth: 1280 })
      : granting()(m));
    const c = aCall(4, 4);
    await ep.admit(c);
    const err = await ep.bandwidth(c, 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasRejectError);
    expect(err).toMatchObject({ reason: 'insufficientResources', allowedBandwidth: 1280, releaseReason: 'gatekeeperResources' });
  });

  it('ignores a URQ or IRQ from an address other than the gatekeeper\'s', async () => {
    const { socket, ep } = setup();
    await ep.register();
    const sent = socket.sent.length;
    const stranger = { ip: '127.0.0.66', port: 1719 };
    socket.deliver(choice('unregistrationRequest', { requestSeqNum: 9, callSignalAddress: [h225Address(CSA)] }), stranger);
    socket.deliver(choice('infoRequest', { requestSeqNum: 10, callReferenceValue: 0, callIdentifier: { guid: new Uint8Array(16) } }), stranger);
    expect(socket.sent).toHaveLength(sent);
    expect(ep.state).toBe('registered');
    expect(ep.stats().foreignRequests).toBe(2);
  });

  it('a URQ while not registered gets URJ notCurrentlyRegistered', () => {
    const { socket } = setup();
    socket.deliver(choice('unregistrationRequest', { requestSeqNum: 9, callSignalAddress: [h225Address(CSA)] }));
    expect(socket.sent.at(-1)!.msg).toEqual(choice('unregistrationReject', { requestSeqNum: 9, rejectReason: choice('notCurrentlyRegistered', null) }));
  });

  it('unregister() sends URQ, stops the keepalive and leaves no timer; a later GK URQ is refused', async () => {
    const { socket, clock, ep, events } = setup(60);
    await ep.register();
    await ep.unregister();
    expect(socket.types()).toEqual(['registrationRequest', 'unregistrationRequest']);
    expect(events).toEqual(['registered', 'unregistered:us']);
    expect(clock.pending).toBe(0);
    clock.advance(600_000);
    expect(socket.sent).toHaveLength(2);
  });

  it('a failed registration with discovery names the GRQ timeout and schedules nothing by itself', async () => {
    const { socket, clock, ep } = setup(60, { discovery: true });
    socket.gk = () => undefined;
    const p = ep.register().catch((e: unknown) => e);
    clock.advance(1000);
    clock.advance(1000);
    const err = await p;
    expect(err).toBeInstanceOf(RasTimeoutError);
    expect((err as Error).message).toContain('gatekeeperRequest to gatekeeper gk-unit');
    expect(clock.pending).toBe(0);
    expect(ep.stats().lastError).toBe((err as Error).message);
  });

  it('start() keeps registering every backoff until the gatekeeper answers', async () => {
    const { socket, clock, ep, events } = setup(60);
    socket.gk = () => undefined;
    ep.start();
    clock.advance(2000); // RRQ + 1 retransmission, then timeout
    await flush();
    expect(events).toEqual(['error:RasTimeoutError']);
    clock.advance(5000); // backoff: second attempt, still silent
    clock.advance(2000);
    await flush();
    expect(events).toEqual(['error:RasTimeoutError', 'error:RasTimeoutError']);
    socket.gk = granting(60);
    clock.advance(5000);
    await flush();
    expect(events.at(-1)).toBe('registered');
    expect(socket.types().filter((t) => t === 'registrationRequest')).toHaveLength(5);
    ep.close();
    expect(clock.pending).toBe(0);
  });
});

// H.225.0 call signalling between two roomgate endpoints on loopback (our listener + placeCall),
// plus raw TPKT peers for what our endpoints never send (garbage, silence, stray messages).
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeH245, h245Kind } from '../../h323/asn1/index.ts';
import {
  CallState, H323CallFailure, H323Listener, placeCall, type CallEnd, type IncomingH323Call, type PlaceCallOptions, type TraceEvent,
} from '../../h323/h225/index.ts';
import {
  callStateIe, causeIe, encodeQ931, encodeTpkt, findIe, IeId, MessageType, parseCause, userUserIe, type Q931Message,
} from '../../h323/q931/index.ts';
import { fastStartOlcs, h245Pdus, ManualClock, RawPeer, recordingLogger } from './h225-helpers.ts';

let listener: H323Listener;
let log: ReturnType<typeof recordingLogger>;
let traces: TraceEvent[];

beforeEach(async () => {
  log = recordingLogger();
  traces = [];
  listener = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log, trace: (e) => traces.push(e) });
});

afterEach(async () => {
  await listener.close();
});

function dial(extra: Partial<PlaceCallOptions> = {}) {
  return placeCall({ address: '127.0.0.1', port: listener.port, logger: log, calledAliases: [{ dialledDigits: '4321' }], calledNumber: '4321', callingNumber: '1001', displayName: 'Room 7', ...extra });
}

const nextCall = () => once(listener as never, 'call').then(([c]) => c as IncomingH323Call);
const ended = (c: { once(e: 'released', f: (end: CallEnd) => void): unknown }) => new Promise<CallEnd>((r) => c.once('released', r));

/** Dials the listener; resolves once the callee has the Setup (call present, not yet answered). */
async function dialledPair(extra: Partial<PlaceCallOptions> = {}) {
  const incoming = nextCall();
  const call = dial(extra);
  return { call, callee: await incoming };
}

/** A call the callee has accepted: both sides active (state 10). */
async function connectedPair(extra: Partial<PlaceCallOptions> = {}) {
  const pair = await dialledPair(extra);
  pair.callee.accept();
  await pair.call.waitConnected();
  return pair;
}

/** The caller's TCP socket, for writing what our endpoints never send. */
const callerSocket = (call: ReturnType<typeof placeCall>) => (call as unknown as { conn: { socket: Socket } }).conn.socket;

/** The call reference of the first call's Setup, as the listener received it. */
const firstCallReference = () => traces[0]!.q931.readUInt16BE(2) & 0x7fff;

async function noLeaks(): Promise<void> {
  await vi.waitFor(() => expect(listener.stats()).toEqual({ connections: 0, calls: 0 }), { timeout: 3000, interval: 10 });
}

describe('call establishment and release (H.225.0 8.1, Q.931 5.1/5.2)', () => {
  it('Setup → Connect; caller releases with cause 16 and the callee sees ReleaseComplete cause 16', async () => {
    const { call, callee } = await dialledPair();
    expect(callee.setup.calledNumber).toBe('4321');
    expect(callee.setup.callingNumber).toBe('1001');
    expect(callee.setup.displayName).toBe('Room 7');
    expect(callee.setup.destinationAliases).toEqual([{ dialledDigits: '4321' }]);
    expect(callee.meetingNumber).toBe('4321');
    expect(callee.callId).toBe(call.callId); // CallIdentifier travels in Setup
    expect(callee.state).toBe(CallState.callPresent);
    callee.accept();
    await call.waitConnected();
    expect(call.state).toBe(CallState.active);
    expect(callee.state).toBe(CallState.active);
    const calleeEnd = ended(callee);
    call.release();
    expect(await calleeEnd).toMatchObject({ by: 'remote', cause: 16 });
    expect(call.end).toMatchObject({ by: 'local', cause: 16 });
    await noLeaks();
  });

  it('callee releases an active call: the caller sees cause 16', async () => {
    const { call, callee } = await connectedPair();
    const callerEnd = ended(call);
    callee.release(16);
    expect(await callerEnd).toMatchObject({ by: 'remote', cause: 16 });
    await noLeaks();
  });

  it('CallProceeding, Alerting, then Connect: caller moves 1 → 3 → 4 → 10', async () => {
    const { call, callee } = await dialledPair();
    const seen: string[] = [];
    for (const e of ['proceeding', 'alerting', 'progress', 'connected'] as const) call.on(e, () => seen.push(`${e}:${call.state}`));
    callee.proceeding();
    await once(call as never, 'proceeding');
    callee.alert();
    await once(call as never, 'alerting');
    expect(callee.state).toBe(CallState.callReceived);
    callee.progress();
    await once(call as never, 'progress');
    callee.accept({ displayName: 'roomgate' });
    await call.waitConnected();
    expect(seen).toEqual(['proceeding:3', 'alerting:4', 'progress:4', 'connected:10']);
    expect(() => callee.alert()).toThrow(/not allowed in call state 10/);
    call.release();
    await noLeaks();
  });

  it('a rejected call ends with the cause (21) and ReleaseCompleteReason the callee gave', async () => {
    const { call, callee } = await dialledPair();
    callee.reject(21, 'destinationRejection');
    const failure = await call.waitConnected().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(H323CallFailure);
    expect((failure as H323CallFailure).end).toMatchObject({ by: 'remote', cause: 21, reason: 'destinationRejection' });
    await noLeaks();
  });

  it('with nobody listening for calls, the listener refuses with cause 47 (gatewayResources)', async () => {
    const failure = await dial().waitConnected().catch((e: unknown) => e);
    expect((failure as H323CallFailure).end).toMatchObject({ by: 'remote', cause: 47, reason: 'gatewayResources' });
    await noLeaks();
  });

  it('bad options throw from placeCall itself, before any socket is opened', () => {
    expect(() => dial({ calledNumber: '12xy' })).toThrow(/not a dialable number/);
    expect(() => dial({ calledAliases: [{ dialledDigits: 'meeting' }] })).toThrow();
    expect(listener.stats().connections).toBe(0);
  });

  it('a refused TCP connection ends the call by transport, no timer left', async () => {
    const clock = new ManualClock();
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const call = placeCall({ address: '127.0.0.1', port, logger: log, clock });
    const end = await ended(call);
    expect(end.by).toBe('transport');
    expect(end.detail).toMatch(/ECONNREFUSED/);
    expect(clock.pending).toBe(0);
  });
});

describe('timers (Q.931 9.1 as H.225.0 uses them)', () => {
  let silent: Server;
  let accepted: Socket[];
  beforeEach(async () => {
    accepted = [];
    silent = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    for (const s of accepted) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('T303 expiry against a peer that never answers: ReleaseComplete cause 102, FIN, no leaked socket or timer', async () => {
    const clock = new ManualClock();
    const sent: TraceEvent[] = [];
    const call = placeCall({ address: '127.0.0.1', port: (silent.address() as { port: number }).port, logger: log, clock, trace: (e) => sent.push(e) });
    const [peerSocket] = (await once(silent, 'connection')) as [Socket];
    const peer = RawPeer.wrap(peerSocket);
    const [setup] = await peer.waitFor(1);
    expect(setup!.type).toBe(MessageType.setup);
    clock.advance(3999);
    expect(call.isReleased).toBe(false);
    clock.advance(1); // T303 = 4 s
    expect(call.end).toMatchObject({ by: 'timer', cause: 102, detail: 'T303 expired' });
    const [, rc] = await peer.waitFor(2);
    expect(rc!.type).toBe(MessageType.releaseComplete);
    expect(parseCause(findIe(rc!, IeId.cause)!).value).toBe(102);
    peerSocket.end(); // the peer answers our FIN
    await peer.closed;
    expect(peer.ended).toBe(true);
    expect(clock.pending).toBe(0);
    expect(await new Promise((r) => silent.getConnections((_, n) => r(n)))).toBe(0);
  });

  it('release before the TCP connection is up: no Q.931 message, no timer, the socket destroyed', async () => {
    const clock = new ManualClock();
    const call = placeCall({ address: '127.0.0.1', port: (silent.address() as { port: number }).port, logger: log, clock });
    const peers: RawPeer[] = [];
    silent.on('connection', (s: Socket) => peers.push(RawPeer.wrap(s)));
    const sock = callerSocket(call);
    call.release();
    expect(call.end).toMatchObject({ by: 'local', cause: 16 });
    expect(clock.pending).toBe(0);
    expect(sock.destroyed).toBe(true);
    await Promise.all(peers.map((p) => p.closed)); // if the SYN got out, the server side closes too
    expect(peers.flatMap((p) => p.messages)).toEqual([]);
  });

  it('T303 stops at CallProceeding, T310 then runs and releases with cause 102', async () => {
    const clock = new ManualClock();
    const call = placeCall({ address: '127.0.0.1', port: (silent.address() as { port: number }).port, logger: log, clock, timers: { t310Ms: 10_000 } });
    const [peerSocket] = (await once(silent, 'connection')) as [Socket];
    const peer = RawPeer.wrap(peerSocket);
    const [setup] = await peer.waitFor(1);
    const { callProceeding, encodeUserInformation } = await import('../../h323/asn1/index.ts');
    const cp: Q931Message = { callReference: setup!.callReference, fromDestination: true, type: MessageType.callProceeding, ies: [userUserIe(encodeUserInformation(callProceeding({ callId: Buffer.from(call.callId, 'hex') })))] };
    peerSocket.write(encodeTpkt(encodeQ931(cp)));
    await once(call as never, 'proceeding');
    clock.advance(9999);
    expect(call.isReleased).toBe(false);
    clock.advance(1);
    expect(call.end).toMatchObject({ by: 'timer', cause: 102, detail: 'T310 expired' });
    const [, , rc] = await peer.waitFor(2).then(() => peer.waitFor(2));
    expect(rc).toBeUndefined(); // exactly two messages so far: Setup and ReleaseComplete
    expect(peer.messages[1]!.type).toBe(MessageType.releaseComplete);
    peerSocket.end();
    await peer.closed;
  });

  it('T301: Alerting without Connect releases with cause 19 after 180 s', async () => {
    const clock = new ManualClock();
    const l2 = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log, clock });
    const incoming = once(l2 as never, 'call');
    const call = placeCall({ address: '127.0.0.1', port: l2.port, logger: log, clock });
    const [callee] = (await incoming) as [IncomingH323Call];
    const calleeEnd = ended(callee);
    callee.alert();
    await once(call as never, 'alerting');
    clock.advance(179_999);
    expect(call.isReleased).toBe(false);
    clock.advance(1);
    expect(call.end).toMatchObject({ by: 'timer', cause: 19 });
    expect(await calleeEnd).toMatchObject({ by: 'remote', cause: 19 });
    await l2.close();
  });

  it('a connection that never sends Setup is closed after setupWaitMs', async () => {
    const clock = new ManualClock();
    const l2 = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log, clock });
    const peer = await RawPeer.connect(l2.port);
    await vi.waitFor(() => expect(l2.stats().connections).toBe(1));
    clock.advance(10_000);
    await peer.closed;
    expect(peer.ended).toBe(true);
    await vi.waitFor(() => expect(l2.stats().connections).toBe(0));
    await l2.close();
  });
});

describe('bad input (Q.931 5.8): an answer with a cause, a clean close, never a crash', () => {
  const garbage: [string, number, Buffer][] = [
    ['bytes that are not TPKT', 95, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['TPKT carrying no Q.931', 95, encodeTpkt(Buffer.from([0x45, 0x01, 0x02, 0x03, 0x04, 0x05]))],
    ['Q.931 with a 1-octet call reference', 81, encodeTpkt(Buffer.from([0x08, 0x01, 0x05, 0x05, 0x04, 0x01, 0x88]))],
    ['Setup whose user-user is not PER H323-UserInformation', 100, encodeTpkt(encodeQ931({ callReference: 9, fromDestination: false, type: MessageType.setup, ies: [userUserIe(Buffer.from([0xff, 0xff, 0xff, 0xff]))] }))],
    ['Setup without user-user', 96, encodeTpkt(encodeQ931({ callReference: 9, fromDestination: false, type: MessageType.setup, ies: [] }))],
    ['a Connect before any Setup', 81, encodeTpkt(encodeQ931({ callReference: 9, fromDestination: true, type: MessageType.connect, ies: [] }))],
  ];
  it.each(garbage)('%s → ReleaseComplete cause %i and the socket closed', async (_name, cause, bytes) => {
    const peer = await RawPeer.connect(listener.port);
    peer.socket.write(bytes);
    const [rc] = await peer.waitFor(1);
    expect(rc!.type).toBe(MessageType.releaseComplete);
    expect(parseCause(findIe(rc!, IeId.cause)!).value).toBe(cause);
    await peer.closed;
    expect(peer.ended).toBe(true); // our FIN, not a reset
    await noLeaks();
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1); // logged once
  });

  it('StatusEnquiry before any Setup → Status with call state 0 (Q.931 5.8.3.2 e), the connection waits for Setup', async () => {
    const peer = await RawPeer.connect(listener.port);
    peer.socket.write(encodeTpkt(encodeQ931({ callReference: 9, fromDestination: false, type: MessageType.statusEnquiry, ies: [] })));
    const [st] = await peer.waitFor(1);
    expect(st!.type).toBe(MessageType.status);
    expect(st!.callReference).toBe(9);
    expect(st!.fromDestination).toBe(true);
    expect(parseCause(findIe(st!, IeId.cause)!).value).toBe(30);
    expect([...findIe(st!, IeId.callState)!.data]).toEqual([0]);
    expect(listener.stats().connections).toBe(1);
    peer.socket.end();
    await noLeaks();
  });

  it('garbage inside an active call → Status with the cause and call state 10; the call goes on', async () => {
    const { call, callee } = await connectedPair();
    // a raw writer on the caller's socket: reach it through the trace-free route of a second Status
    const statuses: { cause?: number; callState?: number }[] = [];
    call.on('status', (s) => statuses.push(s));
    // the callee's connection gets a malformed Information (truncated keypad IE) from the caller side
    callerSocket(call).write(encodeTpkt(Buffer.from([0x08, 0x02, 0x00 | (traces[0]!.q931[2]! & 0x7f), traces[0]!.q931[3]!, MessageType.information, 0x2c, 0x05, 0x31])));
    await vi.waitFor(() => expect(statuses).toHaveLength(1));
    expect(statuses[0]).toEqual({ cause: 100, callState: CallState.active });
    expect(call.isReleased).toBe(false);
    expect(callee.isReleased).toBe(false);
    call.release();
    await noLeaks();
  });

  it('a peer that keeps sending bad messages gets 10 Status answers, then the call is released', async () => {
    const { call, callee } = await connectedPair();
    let statuses = 0;
    call.on('status', () => statuses++);
    const calleeEnd = ended(callee);
    const callerEnd = ended(call);
    const ref = firstCallReference();
    const bad = encodeTpkt(Buffer.from([0x08, 0x02, ref >> 8, ref & 0xff, MessageType.information, 0x2c, 0x05, 0x31]));
    callerSocket(call).write(Buffer.concat(Array.from({ length: 11 }, () => bad)));
    expect(await calleeEnd).toMatchObject({ by: 'protocol', cause: 100 });
    expect(await callerEnd).toMatchObject({ by: 'remote', cause: 100 });
    expect(statuses).toBe(10);
    await noLeaks();
  });

  it('lost TPKT framing in an active call: ReleaseComplete 95, our end by protocol, theirs by remote', async () => {
    const { call, callee } = await connectedPair();
    const calleeEnd = ended(callee);
    const callerEnd = ended(call);
    callerSocket(call).write(Buffer.from('not a TPKT packet'));
    expect(await calleeEnd).toMatchObject({ by: 'protocol', cause: 95 });
    expect(await callerEnd).toMatchObject({ by: 'remote', cause: 95 });
    await noLeaks();
  });

  it('an unexpected message (Setup again) → Status cause 101, call untouched', async () => {
    const { call } = await connectedPair();
    const statuses: { cause?: number; callState?: number }[] = [];
    call.on('status', (s) => statuses.push(s));
    const setupBytes = traces.find((t) => t.direction === 'in' && t.q931[4] === MessageType.setup)!.q931;
    callerSocket(call).write(encodeTpkt(setupBytes));
    await vi.waitFor(() => expect(statuses).toEqual([{ cause: 101, callState: 10 }]));
    call.release();
    await noLeaks();
  });

  it('Status reporting call state 0 clears our call (Q.931 5.8.11)', async () => {
    const { call, callee } = await dialledPair();
    const calleeEnd = ended(callee);
    callerSocket(call).write(encodeTpkt(encodeQ931({ callReference: firstCallReference(), fromDestination: false, type: MessageType.status, ies: [causeIe({ value: 30 }), callStateIe(0)] })));
    expect(await calleeEnd).toMatchObject({ by: 'remote', cause: 101 });
    await noLeaks();
  });
});

describe('fastStart (H.323 8.1.7)', () => {
  it('the callee accepts a subset of the offered OLCs in Alerting; the caller gets exactly those octets', async () => {
    const olcs = fastStartOlcs();
    const { call, callee } = await dialledPair({ fastStart: olcs });
    const got = new Promise<Uint8Array[]>((r) => call.once('fast-start', r));
    expect(callee.setup.fastStart.map((b) => Buffer.from(b).toString('hex'))).toEqual(olcs.map((b) => Buffer.from(b).toString('hex')));
    callee.proceeding(); // no fastStart decision yet
    callee.alert({ fastStart: [olcs[0]!, olcs[2]!] });
    expect((await got).map((b) => Buffer.from(b).toString('hex'))).toEqual([olcs[0]!, olcs[2]!].map((b) => Buffer.from(b).toString('hex')));
    let refused = false;
    call.on('fast-start-refused', () => (refused = true));
    callee.accept();
    await call.waitConnected();
    expect(refused).toBe(false);
    // the Connect neither repeats fastStart nor refuses it
    const connectView = traces.filter((t) => t.direction === 'out' && t.q931[4] === MessageType.connect)[0]!.uu!['h323-uu-pdu']['h323-message-body'].value as Record<string, unknown>;
    expect(connectView.fastStart).toBeUndefined();
    expect('fastConnectRefused' in connectView).toBe(false);
    call.release();
    await noLeaks();
  });

  it('releasing from the fast-start-refused handler leaves no timer and no active state', async () => {
    const clock = new ManualClock();
    const { call, callee } = await dialledPair({ fastStart: fastStartOlcs(), clock });
    call.on('fast-start-refused', () => call.release(31));
    const calleeEnd = ended(callee);
    callee.proceeding({ fastStart: [] });
    expect(await calleeEnd).toMatchObject({ by: 'remote', cause: 31 });
    expect(call.state).toBe(CallState.null);
    await noLeaks();
    await vi.waitFor(() => expect(clock.pending).toBe(0)); // the close linger ends with the peer's FIN
  });

  it('Connect without an answer carries fastConnectRefused; so does an explicit refusal', async () => {
    for (const how of ['implicit', 'explicit'] as const) {
      const { call, callee } = await dialledPair({ fastStart: fastStartOlcs() });
      const refused = new Promise<void>((r) => call.once('fast-start-refused', () => r()));
      if (how === 'explicit') callee.proceeding({ fastStart: [] });
      callee.accept();
      await refused;
      await call.waitConnected();
      const answers = traces.filter((t) => t.direction === 'out' && (t.q931[4] === MessageType.connect || t.q931[4] === MessageType.callProceeding)).map((t) => t.uu!['h323-uu-pdu']['h323-message-body']);
      expect(answers.filter((b) => 'fastConnectRefused' in (b.value as object))).toHaveLength(1);
      call.release();
      await noLeaks();
      traces.length = 0;
    }
  });
});

describe('H.245 tunnelling (H.323 8.2.1) and the separate H.245 address', () => {
  it('PDUs pass both ways through the H245Channel; PDUs sent in one tick share one message', async () => {
    const [msd, tcs] = h245Pdus();
    const incoming = nextCall();
    const call = dial();
    expect(call.tunnelling).toBe('pending');
    const callerGot: string[] = [];
    call.h245Tunnel!.onPdu((p) => callerGot.push(h245Kind(decodeH245(p))));
    call.h245Tunnel!.send([msd!, tcs!]); // queued until the callee's answer confirms tunnelling
    const callee = await incoming;
    expect(callee.tunnelling).toBe('on');
    const calleeGot: string[] = [];
    callee.h245Tunnel!.onPdu((p) => calleeGot.push(h245Kind(decodeH245(p))));
    callee.h245Tunnel!.send([tcs!]);
    callee.alert(); // carries the callee's TCS in its h245Control
    await once(call as never, 'alerting');
    expect(call.tunnelling).toBe('on');
    await vi.waitFor(() => expect(calleeGot).toHaveLength(2));
    expect(calleeGot).toEqual(['request.masterSlaveDetermination', 'request.terminalCapabilitySet']);
    expect(callerGot).toEqual(['request.terminalCapabilitySet']);
    const callerOut = traces.filter((t) => t.direction === 'in' && t.uu?.['h323-uu-pdu'].h245Control);
    expect(callerOut).toHaveLength(1); // both caller PDUs in one Facility
    expect(callerOut[0]!.q931[4]).toBe(MessageType.facility);
    expect(callerOut[0]!.uu!['h323-uu-pdu']['h323-message-body'].type).toBe('empty');
    const alertingOut = traces.find((t) => t.direction === 'out' && t.q931[4] === MessageType.alerting)!;
    expect(alertingOut.uu!['h323-uu-pdu'].h245Control).toHaveLength(1);
    const closed = new Promise<string>((r) => callee.h245Tunnel!.onClose(r));
    call.release();
    expect(await closed).toMatch(/call released/);
    await noLeaks();
  });

  it('a PDU sent in the same tick as release() rides in the ReleaseComplete (EndSessionCommand, H.323 8.5)', async () => {
    const { encodeH245, endSessionCommand } = await import('../../h323/asn1/index.ts');
    const { call, callee } = await connectedPair();
    const order: string[] = [];
    const tunnel = call.h245Tunnel!;
    // a PDU inside the peer's ReleaseComplete cannot be answered: the tunnel says so while delivering it
    tunnel.onPdu((p) => order.push(`${h245Kind(decodeH245(p))} canSend=${tunnel.canSend}`));
    call.once('released', (e) => order.push(`released ${e.cause}`));
    callee.h245Tunnel!.send([encodeH245(endSessionCommand())]);
    callee.release();
    await vi.waitFor(() => expect(order).toHaveLength(2));
    expect(order).toEqual(['command.endSessionCommand canSend=false', 'released 16']);
    const rc = traces.find((t) => t.direction === 'out' && t.q931[4] === MessageType.releaseComplete)!;
    expect(rc.uu!['h323-uu-pdu'].h245Tunnelling).toBe(true);
    expect(rc.uu!['h323-uu-pdu'].h245Control).toHaveLength(1);
    await noLeaks();
  });

  it('a release from a handler of the PDUs inside the peer\'s ReleaseComplete sends nothing back: the call ends as the peer released it (Q.931 5.3)', async () => {
    const { encodeH245, endSessionCommand } = await import('../../h323/asn1/index.ts');
    const { call, callee } = await connectedPair();
    const ends: CallEnd[] = [];
    call.once('released', (e) => ends.push(e));
    // what the gateway does on the room's endSessionCommand: its session ends, the call is released
    call.h245Tunnel!.onPdu(() => call.release(17));
    callee.h245Tunnel!.send([encodeH245(endSessionCommand())]);
    callee.release();
    await vi.waitFor(() => expect(ends).toHaveLength(1));
    expect(ends[0]).toMatchObject({ by: 'remote', cause: 16 });
    await noLeaks();
    // the listener's side received no ReleaseComplete from the caller
    expect(traces.filter((t) => t.direction === 'in' && t.q931[4] === MessageType.releaseComplete)).toEqual([]);
  });

  it('closing the tunnel of a live call sends the PDUs it still holds first (a Facility): an endSessionCommand answered just before the session closes it', async () => {
    const { encodeH245, endSessionCommand } = await import('../../h323/asn1/index.ts');
    const { call, callee } = await connectedPair();
    const got: string[] = [];
    const tunnel = callee.h245Tunnel!;
    tunnel.onPdu((p) => got.push(`${h245Kind(decodeH245(p))} canSend=${tunnel.canSend}`));
    const closed = new Promise<string>((r) => call.h245Tunnel!.onClose(r));
    call.h245Tunnel!.send([encodeH245(endSessionCommand())]);
    call.h245Tunnel!.close('H.245 session ended');
    expect(await closed).toBe('H.245 session ended');
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(got).toEqual(['command.endSessionCommand canSend=true']);
    // (traces are the listener's: the caller's Facility comes in)
    const facility = traces.find((t) => t.direction === 'in' && t.q931[4] === MessageType.facility && t.uu?.['h323-uu-pdu'].h245Control)!;
    expect(facility.uu!['h323-uu-pdu']['h323-message-body'].type).toBe('empty');
    expect(call.isReleased).toBe(false);
    call.release();
    await noLeaks();
  });

  it('H.245 PDUs carried by the Setup itself reach the callee\'s tunnel once it listens', async () => {
    const { setup, encodeUserInformation } = await import('../../h323/asn1/index.ts');
    const [msd] = h245Pdus();
    const peer = await RawPeer.connect(listener.port);
    const incoming = nextCall();
    const uu = setup({ callId: new Uint8Array(16).fill(7), conferenceId: new Uint8Array(16).fill(8), h245Tunnelling: true, h245Control: [msd!], destination: [{ h323Id: '##99' }] });
    peer.socket.write(encodeTpkt(encodeQ931({ callReference: 77, fromDestination: false, type: MessageType.setup, ies: [userUserIe(encodeUserInformation(uu))] })));
    const callee = await incoming;
    expect(callee.setup.destinationAliases).toEqual([{ h323Id: '##99' }]);
    expect(callee.meetingNumber).toBe('99'); // the IP## form a terminal dials a gateway with
    const got = new Promise<Uint8Array>((r) => callee.h245Tunnel!.onPdu(r));
    expect(h245Kind(decodeH245(await got))).toBe('request.masterSlaveDetermination');
    callee.reject(21);
    const [rc] = await peer.waitFor(1);
    expect(rc).toMatchObject({ callReference: 77, fromDestination: true, type: MessageType.releaseComplete });
    peer.socket.end();
    await noLeaks();
  });

  it('a callee that does not tunnel: the caller\'s tunnel closes and h245Address is exchanged instead', async () => {
    await listener.close();
    listener = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log, tunnelling: false, trace: (e) => traces.push(e) });
    const { call, callee } = await dialledPair({ h245Address: { ip: '127.0.0.1', port: 30001 } });
    const tunnelClosed = new Promise<string>((r) => call.h245Tunnel!.onClose(r));
    const callerSees = new Promise((r) => call.once('h245-address', r));
    expect(callee.tunnelling).toBe('off');
    expect(callee.setup.h245Address).toEqual({ ip: '127.0.0.1', port: 30001 });
    expect(callee.remoteH245Address).toEqual({ ip: '127.0.0.1', port: 30001 });
    callee.accept({ h245Address: { ip: '127.0.0.1', port: 30002 } });
    expect(await callerSees).toEqual({ ip: '127.0.0.1', port: 30002 });
    expect(await tunnelClosed).toMatch(/does not tunnel/);
    expect(call.h245Tunnel).toBeUndefined();
    // Facility startH245 later in the call (H.323 8.2.3)
    const calleeSees = new Promise((r) => callee.once('h245-address', r));
    call.startH245({ ip: '127.0.0.1', port: 30003 });
    expect(await calleeSees).toEqual({ ip: '127.0.0.1', port: 30003 });
    call.release();
    await noLeaks();
  });
});

describe('Information, Facility and StatusEnquiry in a call', () => {
  it('keypad IE in Information → keypad event on the other side, both directions', async () => {
    const { call, callee } = await connectedPair();
    const atCallee = new Promise((r) => callee.once('keypad', r));
    call.sendKeypad('12#');
    expect(await atCallee).toBe('12#');
    const atCaller = new Promise((r) => call.once('keypad', r));
    callee.sendKeypad('*9');
    expect(await atCaller).toBe('*9');
    call.release();
    await noLeaks();
  });

  it('StatusEnquiry → Status with cause 30 and the call state of Table 4-6', async () => {
    const { call, callee } = await dialledPair();
    callee.alert();
    await once(call as never, 'alerting');
    const s1 = new Promise((r) => call.once('status', r));
    call.statusEnquiry();
    expect(await s1).toEqual({ cause: 30, callState: CallState.callReceived }); // callee in state 7
    const s2 = new Promise((r) => callee.once('status', r));
    callee.statusEnquiry();
    expect(await s2).toEqual({ cause: 30, callState: CallState.callDelivered }); // caller in state 4
    call.release();
    await noLeaks();
  });

  it('Facility forwardedElements reaches the app as a facility event', async () => {
    const { call, callee } = await connectedPair();
    const f = new Promise((r) => call.once('facility', r));
    callee.sendFacility('callForwarded', { alternativeAddress: { ip: '127.0.0.9', port: 1720 } });
    expect(await f).toMatchObject({ reason: 'callForwarded', alternativeAddress: { ip: '127.0.0.9', port: 1720 } });
    call.release();
    await noLeaks();
  });
});

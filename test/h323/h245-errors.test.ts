// H.245 error paths: timer expiry on a silent peer (injected clock), hostile or unsupported input
// answered as H.245 says, and a TCP channel that loses TPKT framing.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  choice, decodeH245, encodeH245, h245Kind, h323Codec, openLogicalChannelAck, terminalCapabilitySet, type H245Message,
} from '../../h323/asn1/index.ts';
import {
  H245Session, H245TimeoutError, SessionEndedError, connectH245, createMemoryChannelPair, listenH245, type MemoryH245Channel,
} from '../../h323/h245/index.ts';
import { encodeTpkt } from '../../h323/q931/index.ts';
import { ManualClock } from '../../sip/clock.ts';
import { AUDIO_ONLY_CAPS, GATEWAY_CAPS, next, recordingLogger, settle } from './h245-helpers.ts';

/** A session whose peer end is driven by the test: what the session sends is decoded here. */
function withRawPeer(opts: { clock?: ManualClock } = {}) {
  const [mine, peer] = createMemoryChannelPair();
  const clock = opts.clock ?? new ManualClock();
  const logger = recordingLogger();
  const s = new H245Session({ channel: mine, capabilities: GATEWAY_CAPS, clock, logger, callId: 'err' });
  const received: H245Message[] = [];
  peer.onPdu((p) => received.push(decodeH245(p)));
  const kinds = () => received.map(h245Kind);
  const inject = (m: H245Message | Uint8Array) => peer.send([m instanceof Uint8Array ? m : encodeH245(m)]);
  return { s, clock, logger, mine, peer, received, kinds, inject };
}

describe('timers on a silent peer (injected clock)', () => {
  it('T101 and T106 expire: TerminalCapabilitySetRelease and MasterSlaveDeterminationRelease, endSessionCommand, then the session ends with no timer left', async () => {
    const { s, clock, kinds, mine } = withRawPeer();
    const failures: string[] = [];
    s.on('capabilitiesFailed', (r) => failures.push(r));
    s.on('masterSlaveFailed', (r) => failures.push(r));
    s.start();
    await settle();
    expect(kinds()).toEqual(['request.terminalCapabilitySet', 'request.masterSlaveDetermination']);
    clock.advance(29_999);
    await settle();
    expect(failures).toEqual([]);
    clock.advance(1);
    await settle();
    expect(failures.some((f) => f.startsWith('T101 expired'))).toBe(true);
    expect(failures.some((f) => f.includes('T106 expired'))).toBe(true);
    expect(kinds()).toContain('indication.terminalCapabilitySetRelease');
    expect(kinds()).toContain('indication.masterSlaveDeterminationRelease');
    expect(kinds().filter((k) => k === 'command.endSessionCommand')).toHaveLength(1);
    expect(s.ended).toBe(false); // waiting for the peer's endSessionCommand
    const ended = next(s, 'ended');
    clock.advance(5_000);
    expect((await ended)[0]).toMatch(/T101 expired.*peer sent no endSessionCommand|T106 expired.*peer sent no endSessionCommand/);
    expect(s.activeTimers).toBe(0);
    expect(clock.pending).toBe(0);
    expect((mine as MemoryH245Channel).isClosed).toBe(true);
  });

  it('T103: an OpenLogicalChannel the peer never answers is closed with source lcse and rejected; the session goes on', async () => {
    const clock = new ManualClock();
    const [ca, cb] = createMemoryChannelPair();
    const sa = new H245Session({ channel: ca, capabilities: GATEWAY_CAPS, clock, callId: 'A' });
    const sb = new H245Session({ channel: cb, capabilities: GATEWAY_CAPS, clock, callId: 'B' });
    sb.on('incomingChannel', () => { /* the application never answers */ });
    const open = sa.openChannel({ number: 9, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    const failed = open.catch((e) => e);
    await settle();
    const closedAtB = next(sb, 'channelClosed');
    clock.advance(30_000);
    const err = await failed;
    expect(err).toBeInstanceOf(H245TimeoutError);
    expect(err.timer).toBe('T103');
    expect((await closedAtB)[0]).toMatchObject({ number: 9, direction: 'incoming' });
    const sentByA = ca.sent.flat().map((p) => decodeH245(p));
    const clc = sentByA.find((m) => h245Kind(m) === 'request.closeLogicalChannel')!;
    expect((clc.value.value as { source: { type: string } }).source.type).toBe('lcse');
    expect(sa.ended).toBe(false);
    expect(sa.activeTimers).toBe(0);
    // T103 also bounds the wait for CloseLogicalChannelAck
    sa.close('done');
    sb.close('done');
    expect(clock.pending).toBe(0);
  });

  it('T103 bounds the wait for CloseLogicalChannelAck: both closeChannel() callers are answered, the channel is released', async () => {
    const { s, clock, inject, kinds } = withRawPeer();
    const open = s.openChannel({ number: 3, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    await settle();
    inject(openLogicalChannelAck({ channel: 3, mediaChannel: { ip: '127.0.0.9', port: 7000 }, mediaControlChannel: { ip: '127.0.0.9', port: 7001 } }));
    expect((await open).mediaChannel).toEqual({ ip: '127.0.0.9', port: 7000 });
    const closed = next(s, 'channelClosed');
    let answered = 0;
    void s.closeChannel(3).then(() => answered++);
    void s.closeChannel(3).then(() => answered++);
    await settle();
    expect(kinds().filter((k) => k === 'request.closeLogicalChannel')).toHaveLength(1);
    clock.advance(30_000);
    expect((await closed)[0]).toEqual({ number: 3, direction: 'outgoing', reason: 'closed (T103 expired awaiting CloseLogicalChannelAck)' });
    await settle();
    expect(answered).toBe(2);
    expect(s.activeTimers).toBe(0);
  });

  it('T105 and T108: round-trip delay and RequestChannelClose on a silent peer are rejected; close() rejects what is pending', async () => {
    const { s, clock, kinds } = withRawPeer();
    const rtd = s.roundTripDelay().catch((e) => e);
    const rcc = s.requestChannelClose(3).catch((e) => e);
    clock.advance(30_000);
    expect((await rtd).timer).toBe('T105');
    expect((await rcc).timer).toBe('T108');
    await settle();
    expect(kinds()).toContain('indication.requestChannelCloseRelease');
    const pending = s.roundTripDelay().catch((e) => e);
    const opening = s.openChannel({ number: 1, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 1 } }).catch((e) => e);
    s.close('call released');
    expect(await pending).toBeInstanceOf(SessionEndedError);
    expect(await opening).toBeInstanceOf(SessionEndedError);
    expect(clock.pending).toBe(0);
  });

  it('MSD compares statusDeterminationNumbers modulo 2^24 and acks with the receiver\'s status (H.245 C.2, B.1.2)', async () => {
    const cases = [
      // [our number, theirs, our status]: (theirs - ours) mod 2^24 below 0x800000 → we are master
      [0x100000, 0x200000, 'master'], [0x200000, 0x100000, 'slave'], [0xf00000, 0x100000, 'master'], [0x100000, 0xf00000, 'slave'],
    ] as const;
    for (const [ours, theirs, status] of cases) {
      const [mine, peer] = createMemoryChannelPair();
      const s = new H245Session({ channel: mine, capabilities: GATEWAY_CAPS, clock: new ManualClock(), random: () => ours / 0x1000000 });
      const got: H245Message[] = [];
      peer.onPdu((p) => got.push(decodeH245(p)));
      const result = next(s, 'masterSlave');
      peer.send([encodeH245({ type: 'request', value: { type: 'masterSlaveDetermination', value: { terminalType: 60, statusDeterminationNumber: theirs } } })]);
      await settle();
      const theirStatus = status === 'master' ? 'slave' : 'master';
      expect(got).toEqual([{ type: 'response', value: { type: 'masterSlaveDeterminationAck', value: { decision: choice(theirStatus, null) } } }]);
      peer.send([encodeH245({ type: 'response', value: { type: 'masterSlaveDeterminationAck', value: { decision: choice(status, null) } } })]);
      expect((await result)[0]).toBe(status);
      expect(s.activeTimers).toBe(0);
      s.close('done');
    }
  });

  it('MSD: an Ack contradicting our determination fails it', async () => {
    const { s, inject } = withRawPeer();
    const failed = next(s, 'masterSlaveFailed');
    inject({ type: 'request', value: { type: 'masterSlaveDetermination', value: { terminalType: 50, statusDeterminationNumber: 1 } } });
    await settle();
    inject({ type: 'response', value: { type: 'masterSlaveDeterminationAck', value: { decision: choice('slave', null) } } });
    expect((await failed)[0]).toMatch(/inconsistent/);
  });

  it('MSD: the peer rejecting N100 times fails the determination', async () => {
    const { s, inject, kinds } = withRawPeer();
    const failed = next(s, 'masterSlaveFailed');
    s.determineMasterSlave();
    for (let i = 0; i < 3; i++) {
      await settle();
      inject({ type: 'response', value: { type: 'masterSlaveDeterminationReject', value: { cause: choice('identicalNumbers', null) } } });
    }
    expect((await failed)[0]).toMatch(/N100 \(3\)/);
    expect(kinds().filter((k) => k === 'request.masterSlaveDetermination')).toHaveLength(3);
  });
});

describe('bad and unsupported input', () => {
  it('an undecodable PDU is answered with FunctionNotSupported(syntaxError), logged once, and the session goes on', async () => {
    const { s, inject, received, logger } = withRawPeer();
    inject(Uint8Array.from([0xff, 0xff, 0xff]));
    inject(Uint8Array.from([0x7f]));
    await settle();
    const fns = received.filter((m) => h245Kind(m) === 'indication.functionNotSupported');
    expect(fns).toHaveLength(2);
    expect(fns[0]!.value.value).toEqual({ cause: choice('syntaxError', null) });
    expect(logger.lines.filter((l) => l.level === 'warn' && l.msg.includes('undecodable'))).toHaveLength(1);
    expect(s.ended).toBe(false);
    inject({ type: 'request', value: { type: 'roundTripDelayRequest', value: { sequenceNumber: 9 } } });
    await settle();
    expect(received.at(-1)).toEqual({ type: 'response', value: { type: 'roundTripDelayResponse', value: { sequenceNumber: 9 } } });
  });

  it('a known request the gateway does not support gets FunctionNotSupported(unknownFunction) with the octets', async () => {
    const { inject, received } = withRawPeer();
    const loop: H245Message = { type: 'request', value: { type: 'maintenanceLoopRequest', value: { type: choice('systemLoop', null) } } };
    const bytes = encodeH245(loop);
    inject(bytes);
    await settle();
    expect(received).toEqual([{ type: 'indication', value: { type: 'functionNotSupported', value: { cause: choice('unknownFunction', null), returnedFunction: bytes } } }]);
  });

  it('a request newer than our H.245 (unknown extension alternative) is returned in FunctionNotUnderstood', async () => {
    const { inject, received } = withRawPeer();
    // RequestMessage extension alternative 40 (beyond our schema) carrying two octets
    const unknown = { type: '#unknown-extension', index: 40, value: Uint8Array.from([0x12, 0x34]) };
    const bytes = h323Codec().encode('MultimediaSystemControlMessage', { type: 'request', value: unknown });
    inject(bytes);
    await settle();
    expect(received).toHaveLength(1);
    expect(h245Kind(received[0]!)).toBe('indication.functionNotUnderstood');
    expect(received[0]!.value.value).toEqual({ type: 'request', value: unknown });
  });

  it('a TerminalCapabilitySet whose descriptor uses an undefined entry is rejected with undefinedTableEntryUsed', async () => {
    const { s, inject, received } = withRawPeer();
    const tcs = terminalCapabilitySet({ sequenceNumber: 4, capabilities: AUDIO_ONLY_CAPS, simultaneous: [[0, 5]] });
    inject(tcs);
    await settle();
    expect(received).toEqual([{ type: 'response', value: { type: 'terminalCapabilitySetReject', value: { sequenceNumber: 4, cause: choice('undefinedTableEntryUsed', null) } } }]);
    expect(s.remoteCapabilities).toBeUndefined();
  });

  it('an empty TerminalCapabilitySet (hold, H.323 8.4.6) is acked and reported as empty', async () => {
    const { s, inject, received } = withRawPeer();
    const caps = next(s, 'remoteCapabilities');
    inject({ type: 'request', value: { type: 'terminalCapabilitySet', value: { sequenceNumber: 2, protocolIdentifier: [0, 0, 8, 245, 0, 15] } } });
    expect((await caps)[0]).toMatchObject({ empty: true, capabilities: [] });
    await settle();
    expect(h245Kind(received[0]!)).toBe('response.terminalCapabilitySetAck');
  });

  it('a bidirectional OpenLogicalChannel is rejected (unsuitableReverseParameters): uni-directional channels only', async () => {
    const { s, inject, received } = withRawPeer();
    s.on('incomingChannel', () => { throw new Error('must not be offered'); });
    const olc = {
      type: 'request', value: { type: 'openLogicalChannel', value: {
        forwardLogicalChannelNumber: 11,
        forwardLogicalChannelParameters: {
          dataType: choice('audioData', choice('g711Ulaw64k', 20)),
          multiplexParameters: choice('h2250LogicalChannelParameters', { sessionID: 1 }),
        },
        reverseLogicalChannelParameters: {
          dataType: choice('audioData', choice('g711Ulaw64k', 20)),
          multiplexParameters: choice('h2250LogicalChannelParameters', { sessionID: 1 }),
        },
      } },
    } as H245Message;
    inject(olc);
    await settle();
    expect(received).toEqual([{ type: 'response', value: { type: 'openLogicalChannelReject', value: { forwardLogicalChannelNumber: 11, cause: choice('unsuitableReverseParameters', null) } } }]);
  });

  it('a listener that throws does not break the session', async () => {
    const { s, inject, received } = withRawPeer();
    s.on('userInput', () => { throw new Error('application bug'); });
    inject({ type: 'indication', value: { type: 'userInput', value: choice('alphanumeric', '5') } });
    inject({ type: 'request', value: { type: 'roundTripDelayRequest', value: { sequenceNumber: 1 } } });
    await settle();
    expect(received.map(h245Kind)).toEqual(['response.roundTripDelayResponse']);
  });

  it('TCP: connecting to a closed port rejects; closing a listener rejects a pending accept', async () => {
    const listener = await listenH245('127.0.0.1', 0);
    const pending = listener.accept().catch((e) => e);
    listener.close();
    expect((await pending).message).toMatch(/listener closed/);
    await expect(connectH245('127.0.0.1', listener.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('TCP: PDUs split across segments and several in one segment are reassembled in order', async () => {
    const listener = await listenH245('127.0.0.1', 0);
    const sock = connect({ host: listener.address, port: listener.port });
    const channel = await listener.accept();
    const got: string[] = [];
    const all = new Promise<void>((r) => channel.onPdu((p) => { got.push(Buffer.from(p).toString('hex')); if (got.length === 3) r(); }));
    const a = encodeTpkt(Uint8Array.from([1, 2, 3]));
    const b = encodeTpkt(Uint8Array.from([4]));
    const c = encodeTpkt(Uint8Array.from([5, 6]));
    const stream = Buffer.concat([a, b, c]);
    sock.write(stream.subarray(0, 2));
    await settle(20);
    sock.write(stream.subarray(2, 9));
    await settle(20);
    sock.write(stream.subarray(9));
    await all;
    expect(got).toEqual(['010203', '04', '0506']);
    channel.close('done');
    sock.destroy();
    listener.close();
  });

  it('TCP: PDUs that arrive before anyone listens on an accepted channel are held for the first listener, in order', async () => {
    const listener = await listenH245('127.0.0.1', 0);
    const sock = connect({ host: listener.address, port: listener.port });
    const channel = await listener.accept();
    sock.write(Buffer.concat([encodeTpkt(Uint8Array.from([7])), encodeTpkt(Uint8Array.from([8, 9]))]));
    // both PDUs are in before a listener exists (the channel exposes no event for that: its queue is read)
    await expect.poll(() => (channel as unknown as { held: unknown[] }).held.length).toBe(2);
    const got: string[] = [];
    channel.onPdu((p) => got.push(Buffer.from(p).toString('hex')));
    expect(got).toEqual(['07', '0809']);
    channel.close('done');
    sock.destroy();
    listener.close();
  });

  it('TCP: a broken TPKT header closes the channel with a framing reason and ends the session', async () => {
    const listener = await listenH245('127.0.0.1', 0);
    const sock = connect({ host: listener.address, port: listener.port });
    const channel = await listener.accept();
    const s = new H245Session({ channel, capabilities: GATEWAY_CAPS, callId: 'tcp' });
    const ended = next(s, 'ended');
    const gone = new Promise((r) => sock.on('close', r));
    sock.on('error', () => {});
    sock.write(Buffer.from([0x04, 0x00, 0x00, 0x08, 1, 2, 3, 4]));
    expect((await ended)[0]).toMatch(/TPKT framing error: TPKT version 4/);
    await gone; // our side closed the connection
    expect(s.activeTimers).toBe(0);
    listener.close();
  });
});

describe('fuzz: a session fed random input', () => {
  it('answers or ignores 3000 random schema-valid messages and 3000 random octet strings without throwing or leaking timers', async () => {
    const { RandomValues, seededRandom } = await import('./random-values.ts');
    const codec = h323Codec();
    const rnd = seededRandom(245);
    const gen = new RandomValues(codec.schema, rnd, 6);
    const type = codec.typeRef('MultimediaSystemControlMessage');
    const clock = new ManualClock();
    const [mine, peer] = createMemoryChannelPair();
    const logger = recordingLogger();
    const s = new H245Session({ channel: mine, capabilities: GATEWAY_CAPS, clock, logger, callId: 'fuzz', endOnProcedureFailure: false });
    s.on('incomingChannel', (r) => (rnd() < 0.5 ? r.accept({ mediaChannel: { ip: '127.0.0.1', port: 4000 }, mediaControlChannel: { ip: '127.0.0.1', port: 4001 } }) : r.reject()));
    let answers = 0;
    peer.onPdu(() => answers++);
    s.start();
    for (let i = 0; i < 3000 && !s.ended; i++) {
      const value = gen.value(type) as H245Message;
      if (h245Kind(value) === 'command.endSessionCommand') continue; // would end the session (tested elsewhere)
      peer.send([codec.encode('MultimediaSystemControlMessage', value)]);
      const junk = Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256));
      let endsIt = false;
      try {
        endsIt = h245Kind(decodeH245(junk)) === 'command.endSessionCommand';
      } catch { /* undecodable: what this half is for */ }
      if (!endsIt) peer.send([junk]);
      if (i % 100 === 0) await settle();
    }
    await settle();
    expect(s.ended).toBe(false);
    expect(answers).toBeGreaterThan(3000);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    clock.advance(60_000);
    s.close('fuzz over');
    expect(clock.pending).toBe(0);
  });
});

describe('batching for tunnelling (one H245Channel.send per step)', () => {
  it('start() sends TCS then MSD in one batch; an accepted RequestChannelClose answers RCCAck + CLC in one batch', async () => {
    const { s, mine, inject } = withRawPeer();
    s.start();
    const batches = () => (mine as MemoryH245Channel).sent.map((b) => b.map((p) => h245Kind(decodeH245(p))));
    expect(batches()).toEqual([['request.terminalCapabilitySet', 'request.masterSlaveDetermination']]);
    const open = s.openChannel({ number: 2, capability: { codec: 'g722-64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    inject(openLogicalChannelAck({ channel: 2, mediaChannel: { ip: '127.0.0.9', port: 7000 }, mediaControlChannel: { ip: '127.0.0.9', port: 7001 } }));
    await open;
    inject({ type: 'request', value: { type: 'requestChannelClose', value: { forwardLogicalChannelNumber: 2, reason: choice('normal', null) } } });
    await settle();
    expect(batches().at(-1)).toEqual(['response.requestChannelCloseAck', 'request.closeLogicalChannel']);
  });
});

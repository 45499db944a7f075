// Two H245Session instances talking through an in-memory channel pair and through a real TCP
// H.245 channel on loopback: master/slave determination, capability exchange, logical channels,
// close requests, round-trip delay, commands, indications and the end of the session.
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeLogicalChannel, closeLogicalChannelAck, decodeH245, encodeH245, endSessionCommand, h245Kind, openLogicalChannelAck, type H245Message,
} from '../../h323/asn1/index.ts';
import {
  ChannelRejectedError, H245Session, SessionEndedError, createMemoryChannelPair, type H245Channel, type H245SessionOptions, type IncomingChannel,
  type MemoryH245Channel, type OpenChannelRequest,
} from '../../h323/h245/index.ts';
import { ManualClock } from '../../sip/clock.ts';
import { GATEWAY_CAPS, memoryPair, next, recordingLogger, settle, tcpPair, type PairFactory } from './h245-helpers.ts';

const disposers: (() => void)[] = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});

async function sessions(factory: PairFactory, a: Partial<H245SessionOptions> = {}, b: Partial<H245SessionOptions> = {}) {
  const pair = await factory();
  disposers.push(pair.dispose);
  const sa = new H245Session({ channel: pair.a, capabilities: GATEWAY_CAPS, callId: 'A', ...a });
  const sb = new H245Session({ channel: pair.b, capabilities: GATEWAY_CAPS, callId: 'B', ...b });
  disposers.push(() => { sa.close('test over'); sb.close('test over'); });
  return { sa, sb, ca: pair.a, cb: pair.b };
}

/** Both sides start (simultaneous TCS and MSD) and finish MSD and the capability exchange. */
async function established(factory: PairFactory, a: Partial<H245SessionOptions> = {}, b: Partial<H245SessionOptions> = {}) {
  const s = await sessions(factory, a, b);
  const done = Promise.all([
    next(s.sa, 'masterSlave'), next(s.sb, 'masterSlave'), next(s.sa, 'capabilitiesAcked'), next(s.sb, 'capabilitiesAcked'),
    next(s.sa, 'remoteCapabilities'), next(s.sb, 'remoteCapabilities'),
  ]);
  s.sa.start();
  s.sb.start();
  await done;
  return s;
}

const AUDIO_1: OpenChannelRequest = { number: 1, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } };
const VIDEO_2: OpenChannelRequest = {
  number: 2, capability: { codec: 'h264', maxBitRate: 5000, profile: 0x40, level: 43 }, sessionID: 2, payloadType: 96, mediaControlChannel: { ip: '127.0.0.1', port: 5003 },
};

/** "in request.closeLogicalChannel 2": a PDU's direction, kind and, for channel messages, the channel. */
function pduLabel(p: { direction: 'in' | 'out'; message?: H245Message }): string {
  if (!p.message) return `${p.direction} ?`;
  const n = (p.message.value.value as { forwardLogicalChannelNumber?: number } | null)?.forwardLogicalChannelNumber;
  return `${p.direction} ${h245Kind(p.message)}${n !== undefined ? ` ${n}` : ''}`;
}

function acceptAll(s: H245Session, rtpPort: number) {
  s.on('incomingChannel', (req: IncomingChannel) => {
    req.accept({ mediaChannel: { ip: '127.0.0.1', port: rtpPort + req.number * 2 }, mediaControlChannel: { ip: '127.0.0.1', port: rtpPort + req.number * 2 + 1 } });
  });
}

describe.each([['in-memory pair', memoryPair], ['TCP channel on loopback', tcpPair]] as const)('H.245 session over %s', (_, factory) => {
  it('simultaneous MSD resolves to one master and one slave; capability sets acked and read back as typed lists', async () => {
    const { sa, sb } = await established(factory);
    expect([sa.masterSlave, sb.masterSlave].sort()).toEqual(['master', 'slave']);
    expect(sa.capabilitiesAcked && sb.capabilitiesAcked).toBe(true);
    const caps = sa.remoteCapabilities!;
    expect(caps.empty).toBe(false);
    expect(caps.capabilities.map((c) => c.codec)).toEqual(['g711Ulaw64k', 'g711Alaw64k', 'g722-64k', 'h264', 'h263', 'basicString', 'dtmf']);
    expect(caps.capabilities.find((c) => c.codec === 'h264')).toMatchObject({
      kind: 'video', direction: 'receive', params: { profile: 0x40, level: 71, maxBitRate: 10240 },
      media: { codec: 'h264', profile: 0x40, level: 71, maxBitRate: 10240 },
    });
    expect(caps.capabilities[0]).toMatchObject({ entry: 1, kind: 'audio', params: { framesPerPacket: 20 } });
    expect(caps.capabilities.find((c) => c.codec === 'h263')!.params).toMatchObject({ cifMPI: 1, qcifMPI: 1, maxBitRate: 3840 });
    expect(caps.descriptors).toEqual([{ number: 0, simultaneous: [[1, 2, 3], [4, 5], [6], [7]] }]);
  });

  it('MSD started by one side only (both orders): the larger terminalType is master', async () => {
    for (const starter of ['a', 'b'] as const) {
      const { sa, sb } = await sessions(factory, { terminalType: 60 }, { terminalType: 50 });
      const r = Promise.all([next(sa, 'masterSlave'), next(sb, 'masterSlave')]);
      (starter === 'a' ? sa : sb).determineMasterSlave();
      const [[ra], [rb]] = await r;
      expect({ starter, ra, rb }).toEqual({ starter, ra: 'master', rb: 'slave' });
    }
  });

  it('identical numbers are indeterminate: new numbers are drawn and the retry settles it (N100)', async () => {
    const seq = (xs: number[]) => { let i = 0; return () => xs[Math.min(i++, xs.length - 1)]!; };
    const { sa, sb } = await sessions(factory, { random: seq([0.5, 0.5, 0.1]) }, { random: seq([0.5, 0.5, 0.9]) });
    const r = Promise.all([next(sa, 'masterSlave'), next(sb, 'masterSlave')]);
    sa.determineMasterSlave();
    sb.determineMasterSlave();
    const [[ra], [rb]] = await r;
    expect([ra, rb].sort()).toEqual(['master', 'slave']);
  });

  it('opens channels both ways: the Ack carries the receiver\'s RTP/RTCP addresses', async () => {
    const { sa, sb } = await established(factory);
    acceptAll(sa, 30000);
    const seen: IncomingChannel[] = [];
    sb.on('incomingChannel', (req) => {
      seen.push(req);
      req.accept({ mediaChannel: { ip: '127.0.0.2', port: 40002 }, mediaControlChannel: { ip: '127.0.0.2', port: 40003 } });
    });
    const ab = await sa.openChannel({ number: 1, capability: { codec: 'g722-64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    expect(ab).toEqual({ number: 1, mediaChannel: { ip: '127.0.0.2', port: 40002 }, mediaControlChannel: { ip: '127.0.0.2', port: 40003 } });
    expect(seen[0]).toMatchObject({ number: 1, sessionID: 1, media: { codec: 'g722-64k', framesPerPacket: 20 }, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    const ba = await sb.openChannel({
      number: 7, capability: { codec: 'h264', maxBitRate: 5000, profile: 0x40, level: 43 }, sessionID: 2, payloadType: 109,
      mediaControlChannel: { ip: '127.0.0.2', port: 6001 },
    });
    expect(ba.mediaChannel).toEqual({ ip: '127.0.0.1', port: 30014 });
  });

  it('OLC reject: the application\'s cause, and dataTypeNotSupported for a codec outside our capabilities', async () => {
    const { sa, sb } = await established(factory, {}, { capabilities: [{ codec: 'g711Ulaw64k', framesPerPacket: 20 }] });
    sb.on('incomingChannel', (req) => req.reject('insufficientBandwidth'));
    const err = await sa.openChannel({ number: 2, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } }).catch((e) => e);
    expect(err).toBeInstanceOf(ChannelRejectedError);
    expect(err.rejectCause).toBe('insufficientBandwidth');
    const err2 = await sa.openChannel({ number: 3, capability: { codec: 'h263', cifMPI: 1, maxBitRate: 100 }, sessionID: 2, mediaControlChannel: { ip: '127.0.0.1', port: 5003 } }).catch((e) => e);
    expect(err2.rejectCause).toBe('dataTypeNotSupported');
  });

  it('CloseLogicalChannel: acked, both sides see the channel closed', async () => {
    const { sa, sb } = await established(factory);
    acceptAll(sb, 40000);
    await sa.openChannel({ number: 4, capability: { codec: 'g711Alaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    const closedB = next(sb, 'channelClosed');
    const closedA = next(sa, 'channelClosed');
    await sa.closeChannel(4);
    expect((await closedB)[0]).toEqual({ number: 4, direction: 'incoming', reason: 'closed by the peer' });
    expect((await closedA)[0]).toEqual({ number: 4, direction: 'outgoing', reason: 'closed' });
    expect(sa.activeTimers).toBe(0);
  });

  it('RequestChannelClose: accepted → the sender closes the channel; rejected → it stays', async () => {
    const { sa, sb } = await established(factory);
    acceptAll(sb, 40000);
    await sa.openChannel({ number: 5, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    await sa.openChannel({ number: 6, capability: { codec: 'h263', cifMPI: 1, maxBitRate: 3840 }, sessionID: 2, mediaControlChannel: { ip: '127.0.0.1', port: 5003 } });
    sa.on('closeRequested', (req) => (req.number === 5 ? req.accept() : req.reject()));
    const closed = next(sb, 'channelClosed');
    expect(await sb.requestChannelClose(5)).toBe(true);
    expect((await closed)[0]).toMatchObject({ number: 5, direction: 'incoming' });
    expect(await sb.requestChannelClose(6)).toBe(false);
    // a request for a channel that does not exist is rejected
    expect(await sb.requestChannelClose(99)).toBe(false);
  });

  it('round-trip delay, videoFastUpdatePicture, flowControlCommand and userInput reach the peer', async () => {
    const { sa, sb } = await established(factory);
    expect(await sa.roundTripDelay()).toBeGreaterThanOrEqual(0);
    const vfu = next(sb, 'videoFastUpdate');
    sa.sendVideoFastUpdate(7);
    expect(await vfu).toEqual([7]);
    const fc = next(sb, 'flowControl');
    sa.sendFlowControl(7, 2560);
    expect(await fc).toEqual([{ scope: 'logicalChannelNumber', channel: 7, maximumBitRate: 2560 }]);
    const inputs: unknown[] = [];
    sb.on('userInput', (ui) => inputs.push(ui));
    const last = new Promise<void>((r) => sb.on('userInput', (ui) => ui.kind === 'signal' && ui.signal === '#' && r()));
    sa.sendUserInput('digits');
    for (const d of '12*#') sa.sendUserInputSignal(d, 120);
    await last;
    expect(inputs).toEqual([
      { kind: 'alphanumeric', text: 'digits' },
      ...'12*#'.split('').map((signal) => ({ kind: 'signal', signal, durationMs: 120 })),
    ]);
  });

  it('endSession: endSessionCommand both ways, both sessions end, channels closed, no timer left', async () => {
    const { sa, sb, ca, cb } = await established(factory);
    acceptAll(sb, 40000);
    await sa.openChannel({ number: 1, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } });
    const endedB = next(sb, 'ended');
    const endedA = next(sa, 'ended');
    await sa.endSession('hang up');
    expect(await endedA).toEqual(['hang up']);
    expect(await endedB).toEqual(['peer ended the session']);
    expect(sa.activeTimers + sb.activeTimers).toBe(0);
    await settle(10);
    const closed = (c: H245Channel) => (c as unknown as { isClosed: boolean }).isClosed;
    expect(closed(ca) && closed(cb)).toBe(true);
    // nothing more leaves an ended session
    expect(() => sa.sendUserInput('x')).not.toThrow();
  });

  it('the peer\'s endSessionCommand first (H.323 8.5): CloseLogicalChannel for each of our channels (video, then audio), the peer\'s Acks, then our endSessionCommand', async () => {
    const logger = recordingLogger();
    const { sa, sb, ca } = await established(factory, { logger });
    acceptAll(sb, 40000);
    await sa.openChannel(AUDIO_1); // opened first, closed last
    await sa.openChannel(VIDEO_2);
    const seen: string[] = [];
    sa.observer.on('pdu', (p) => seen.push(pduLabel(p)));
    const closedOnB: number[] = [];
    sb.on('channelClosed', (c) => closedOnB.push(c.number));
    const endedA = next(sa, 'ended');
    const endedB = next(sb, 'ended');
    await sb.endSession('room hangs up');
    expect(await endedB).toEqual(['room hangs up']); // ended by our endSessionCommand, not by its endSession timer
    expect(await endedA).toEqual(['peer ended the session']);
    expect(seen).toEqual([
      'in command.endSessionCommand',
      'out request.closeLogicalChannel 2', 'out request.closeLogicalChannel 1',
      'in response.closeLogicalChannelAck 2', 'in response.closeLogicalChannelAck 1',
      'out command.endSessionCommand',
    ]);
    // the peer's session answered our CloseLogicalChannels after its own endSessionCommand
    expect(closedOnB).toEqual([2, 1]);
    expect(logger.lines.find((l) => l.msg === 'h245 closing our channels before answering endSessionCommand')?.meta).toMatchObject({ channels: [2, 1] });
    expect(logger.lines.some((l) => l.msg.startsWith('h245 no CloseLogicalChannelAck'))).toBe(false);
    expect(sa.activeTimers + sb.activeTimers).toBe(0);
    if ('sent' in ca) {
      // one send for both CloseLogicalChannels (one H.225.0 message when tunnelled), another for endSessionCommand
      const batches = (ca as MemoryH245Channel).sent.map((b) => b.map((p) => h245Kind(decodeH245(p))));
      expect(batches.slice(-2)).toEqual([['request.closeLogicalChannel', 'request.closeLogicalChannel'], ['command.endSessionCommand']]);
    }
  });
});

/** A session whose peer is driven by the test (memory channel, injected clock): what the session sends is decoded here. */
function withRawPeer(opts: Partial<H245SessionOptions> = {}) {
  const [mine, peer] = createMemoryChannelPair();
  const clock = new ManualClock();
  const logger = recordingLogger();
  const s = new H245Session({ channel: mine, capabilities: GATEWAY_CAPS, clock, logger, callId: 'phase-e', ...opts });
  disposers.push(() => s.close('test over'));
  const kinds: string[] = [];
  peer.onPdu((p) => {
    const m = decodeH245(p);
    const n = (m.value.value as { forwardLogicalChannelNumber?: number } | null)?.forwardLogicalChannelNumber;
    kinds.push(`${h245Kind(m)}${n !== undefined ? ` ${n}` : ''}`);
  });
  const inject = (m: H245Message) => peer.send([encodeH245(m)]);
  return { s, clock, logger, mine, kinds, inject };
}

describe('H.323 8.5 phase E when the peer sends endSessionCommand first (injected clock)', () => {
  it.each([{ option: undefined, waitMs: 1000 }, { option: 250, waitMs: 250 }])('a peer that never acks our CloseLogicalChannels: our endSessionCommand after timers.endSessionAnswer ($waitMs ms), then the end, no timer left', async ({ option, waitMs }) => {
    const { s, clock, logger, mine, kinds, inject } = withRawPeer(option === undefined ? {} : { timers: { endSessionAnswer: option } });
    const audio = s.openChannel(AUDIO_1);
    inject(openLogicalChannelAck({ channel: 1, sessionId: 1, mediaChannel: { ip: '127.0.0.1', port: 6000 }, mediaControlChannel: { ip: '127.0.0.1', port: 6001 } }));
    await audio;
    // the video channel is still awaiting establishment (H.245 C.4): closed as well
    const video = s.openChannel(VIDEO_2).catch((e: Error) => e);
    await settle();
    kinds.length = 0;
    const ended = next(s, 'ended');
    inject(endSessionCommand());
    expect(await video).toBeInstanceOf(ChannelRejectedError);
    expect(kinds).toEqual(['request.closeLogicalChannel 2', 'request.closeLogicalChannel 1']);
    clock.advance(waitMs - 1);
    await settle();
    expect(s.ended).toBe(false);
    expect(kinds).not.toContain('command.endSessionCommand');
    clock.advance(1);
    expect(await ended).toEqual(['peer ended the session']);
    await settle();
    expect(kinds).toEqual(['request.closeLogicalChannel 2', 'request.closeLogicalChannel 1', 'command.endSessionCommand']);
    expect(logger.lines.find((l) => l.msg === 'h245 no CloseLogicalChannelAck in time: answering endSessionCommand anyway')?.meta).toMatchObject({ channels: [1, 2], waitedMs: waitMs });
    expect(s.activeTimers).toBe(0);
    expect(clock.pending).toBe(0);
    expect((mine as MemoryH245Channel).isClosed).toBe(true);
  });

  it('while our channels close, the peer\'s own CloseLogicalChannel is acked, a repeated endSessionCommand is ignored, endSession() waits for our answer and no channel opens', async () => {
    const { s, kinds, inject } = withRawPeer();
    const audio = s.openChannel(AUDIO_1);
    inject(openLogicalChannelAck({ channel: 1, sessionId: 1, mediaChannel: { ip: '127.0.0.1', port: 6000 }, mediaControlChannel: { ip: '127.0.0.1', port: 6001 } }));
    await audio;
    await settle();
    kinds.length = 0;
    inject(endSessionCommand());
    await settle();
    expect(kinds).toEqual(['request.closeLogicalChannel 1']);
    inject(closeLogicalChannel(7)); // a channel the peer sends us
    inject(endSessionCommand());
    await settle();
    expect(kinds).toEqual(['request.closeLogicalChannel 1', 'response.closeLogicalChannelAck 7']);
    let appEnded = false;
    const appEnd = s.endSession('gateway hangs up too').then(() => (appEnded = true));
    await expect(s.openChannel(VIDEO_2)).rejects.toBeInstanceOf(SessionEndedError);
    await settle();
    expect(appEnded).toBe(false);
    expect(kinds).toHaveLength(2); // endSession() sent nothing of its own
    const ended = next(s, 'ended');
    inject(closeLogicalChannelAck(1));
    expect(await ended).toEqual(['peer ended the session']);
    await appEnd;
    await settle();
    expect(kinds).toEqual(['request.closeLogicalChannel 1', 'response.closeLogicalChannelAck 7', 'command.endSessionCommand']);
    expect(s.activeTimers).toBe(0);
  });

  it('an endSessionCommand that nothing can answer (the channel says canSend false: it came inside the peer\'s ReleaseComplete): nothing sent, the session ends at once', async () => {
    const [mine, peer] = createMemoryChannelPair();
    const channel: H245Channel = {
      send: (pdus) => mine.send(pdus), onPdu: (h) => mine.onPdu(h), onClose: (h) => mine.onClose(h), close: (r) => mine.close(r), canSend: false,
    };
    const s = new H245Session({ channel, capabilities: GATEWAY_CAPS, clock: new ManualClock(), callId: 'released' });
    disposers.push(() => s.close('test over'));
    const sent: string[] = [];
    peer.onPdu((p) => sent.push(h245Kind(decodeH245(p))));
    void s.openChannel(AUDIO_1).catch(() => undefined);
    await settle();
    const ended = next(s, 'ended');
    peer.send([encodeH245(endSessionCommand())]);
    expect(await ended).toEqual(['peer ended the session']);
    await settle();
    expect(sent).toEqual(['request.openLogicalChannel']);
    expect(s.activeTimers).toBe(0);
  });
});

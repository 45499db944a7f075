// The gateway's H.323 calls without a browser (issue #5): keypad DTMF reaches the meeting leg,
// Gateway.close() releases live H.323 calls with cause 16, a meeting that cannot be joined is a
// ReleaseComplete with a cause (41 temporary failure for an unreachable meeting service), and the
// listener exists only when h323.signalling is enabled.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/index.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { capturingLogger, startHarness, type Harness, type LogEntry } from '../e2e/harness.ts';
import { H323Room, makeH264File, type H323RoomMode } from '../helpers/h323-room.ts';
import { placeCall } from '../../h323/h225/index.ts';
import { connectH245, H245Session } from '../../h323/h245/index.ts';
import { h245Kind, type H245Message } from '../../h323/asn1/index.ts';
import { proposeFastStart } from '../../gateway/h323/olc.ts';

const H323 = 'h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 } }';
let h: Harness | undefined;
let gw: Gateway | undefined;
const rooms: H323Room[] = [];
const videoFile = join(tmpdir(), `roomgate-h323-inbound-${process.pid}.h264`);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

afterAll(() => rmSync(videoFile, { force: true }));

afterEach(async () => {
  for (const r of rooms.splice(0)) r.stop();
  await gw?.close();
  gw = undefined;
  await h?.close();
  h = undefined;
});

/** "in request.closeLogicalChannel 102": a PDU's direction and kind, with the channel of a (Close/Open)LogicalChannel request. */
function pduLabel(p: { direction: 'in' | 'out'; message?: H245Message }): string {
  if (!p.message) return `${p.direction} ?`;
  const kind = h245Kind(p.message);
  return `${p.direction} ${kind}${kind.endsWith('LogicalChannel') ? ` ${(p.message.value.value as { forwardLogicalChannelNumber: number }).forwardLogicalChannelNumber}` : ''}`;
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('gateway H.323 calls', () => {
  it('keypad keys (Q.931 Information) reach the meeting leg; Gateway.close() releases the call with cause 16', async () => {
    h = await startHarness({ mediaPorts: { min: 48800, max: 48819 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'fastStart', name: 'keypad-room', calledAliases: [{ h323Id: 'kp' }] });
    rooms.push(room);
    await expect.poll(() => h!.gateway.activeCalls()[0]?.state, { timeout: 10_000 }).toBe('active');
    room.call.sendKeypad('4');
    await expect.poll(() => h!.gateway.activeCalls()[0]?.dtmf?.lastDigits, { timeout: 5000 }).toBe('4');
    expect(h.gateway.activeCalls()[0]?.dtmf?.fromRoom.info).toBe(1);
    const released = new Promise((resolve) => room.call.once('released', resolve));
    const sessionEnded = new Promise((resolve) => room.session!.once('ended', resolve));
    await h.gateway.close();
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    // H.323 8.5: the gateway's endSessionCommand rode in the ReleaseComplete
    expect(await sessionEnded).toBe('peer ended the session');
    expect(h.gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0 });
  });

  it.each(['tunnel', 'separate'] as const)('the room\'s endSessionCommand (H.323 8.5, %s H.245) ends the call: the gateway closes its channels (video, then audio), answers it, then sends ReleaseComplete', async (mode: H323RoomMode) => {
    h = await startHarness({ mediaPorts: mode === 'tunnel' ? { min: 48850, max: 48869 } : { min: 49360, max: 49379 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode, video: { file: makeH264File(videoFile), fps: 15 }, calledAliases: [{ h323Id: `es-${mode}` }] });
    rooms.push(room);
    await expect.poll(() => room.gatewayVideo !== undefined && room.gatewayAudio !== undefined, { timeout: 10_000 }).toBe(true);
    // the room's side of its H.245 session from here on, and when ReleaseComplete came
    const seen: string[] = [];
    room.session!.observer.on('pdu', (p) => seen.push(pduLabel(p)));
    const released = new Promise((resolve) => room.call.once('released', (end) => resolve(seen.push('ReleaseComplete') && end)));
    const roomEnded = new Promise((resolve) => room.session!.once('ended', resolve));
    await room.session!.endSession('room hangs up'); // resolves on the gateway's endSessionCommand
    expect(await roomEnded).toBe('room hangs up'); // not by its endSession timer
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    // H.323 8.5: the endpoint receiving endSessionCommand first carries out steps 1-6 without waiting in step 5
    expect(seen.filter((x) => /LogicalChannel|endSession|ReleaseComplete/.test(x))).toEqual([
      'out command.endSessionCommand',
      'in request.closeLogicalChannel 102', 'out response.closeLogicalChannelAck',
      'in request.closeLogicalChannel 101', 'out response.closeLogicalChannelAck',
      'in command.endSessionCommand', 'ReleaseComplete',
    ]);
    expect(h.logs.find((l) => l.message === 'h245 closing our channels before answering endSessionCommand')).toMatchObject({ channels: [102, 101] });
    expect(h.logs.some((l) => String(l.message).startsWith('h245 no CloseLogicalChannelAck'))).toBe(false);
    await expect.poll(() => h!.gateway.stats().activeCalls).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
    expect(h.logs.some((l) => l.message === 'call ended' && l.by === 'room' && String(l.reason).startsWith('H.245 session ended'))).toBe(true);
  });

  it('no fastStart, no tunnel, no H.245 address from the room: the gateway announces its own H.245 listener in CallProceeding; the room\'s TCS shows H.264, so its video reaches the meeting', async () => {
    h = await startHarness({ mediaPorts: { min: 48890, max: 48909 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'gatewayListens', video: { file: makeH264File(videoFile), fps: 15 }, calledAliases: [{ h323Id: 'gl' }] });
    rooms.push(room);
    expect(room.call.tunnelling).toBe('off');
    expect(room.call.remoteH245Address?.ip).toBe('127.0.0.1');
    await expect.poll(() => room.gatewayAudio, { timeout: 10_000 }).toBeDefined();
    await expect.poll(() => room.gatewayVideo, { timeout: 10_000 }).toBeDefined();
    const callId = h.gateway.activeCalls()[0]!.callId;
    // H.323 8.2: the session ran before the meeting join (the room's TCS decided video), and Connect did not repeat the address
    expect(h.logs.find((l) => l.message === 'h323 call answered' && l.callId === callId)).toMatchObject({ fastStart: false, tunnelling: 'off', video: true });
    expect(h.logs.some((l) => l.callId === callId && /audio only/.test(String(l.message)))).toBe(false);
    // the room's H.264 goes into the meeting through the leg's video producer
    expect(h.gateway.activeCalls()[0]!.meeting!.videoEnabled).toBe(true);
    await expect.poll(() => h!.gateway.activeCalls()[0]?.meeting?.video.packetsSent ?? 0, { timeout: 10_000 }).toBeGreaterThan(30);
    await expect.poll(() => h!.logs.some((l) => l.message === 'h323 room channel accepted' && l.codec === 'h264'), { timeout: 5000 }).toBe(true);
    expect(h.gateway.activeCalls()[0]?.state).toBe('active');
    // H.245 flowControlCommand on the gateway's video channel: the room's limit for the simulcast layer
    expect(room.gatewayVideoChannel).toBe(102);
    room.limitGatewayVideo(256_000);
    await expect.poll(() => h!.gateway.activeCalls()[0]?.media?.videoBitrateLimit, { timeout: 5000 }).toMatchObject({ signalledBps: 256_000, limitBps: 256_000 });
    await expect.poll(() => h!.gateway.activeCalls()[0]?.meeting?.videoLayer.limitBps, { timeout: 5000 }).toBe(256_000);
    room.sendUserInput('9');
    await expect.poll(() => h!.gateway.activeCalls()[0]?.dtmf?.lastDigits, { timeout: 5000 }).toBe('9');
    room.hangup();
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('a room that opens the gateway\'s H.245 listener only after Connect: the meeting leg is audio only (logged), its session and channels still come up', async () => {
    h = await startHarness({ mediaPorts: { min: 49300, max: 49319 }, yaml: H323 });
    const call = placeCall({ address: '127.0.0.1', port: h.gateway.h323Port!, logger: silent, calledAliases: [{ h323Id: 'late' }], tunnelling: false });
    // ignores the address in CallProceeding; connects once Connect repeats it
    await call.waitConnected();
    const a = call.remoteH245Address!;
    const session = new H245Session({ channel: await connectH245(a.ip, a.port), capabilities: [{ codec: 'g711Ulaw64k', framesPerPacket: 20 }, 'userInput'], terminalType: 50, callId: 'late-room' });
    const acked = new Promise((resolve) => session.once('remoteCapabilities', () => resolve(session.openChannel({ number: 1, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 9 } }))));
    const gatewayOpened = new Promise((resolve) => session.once('incomingChannel', (req) => resolve(req.accept({ mediaChannel: { ip: '127.0.0.1', port: 9 }, mediaControlChannel: { ip: '127.0.0.1', port: 10 } }))));
    session.start();
    expect(await acked).toMatchObject({ number: 1, mediaChannel: { ip: '127.0.0.1' } });
    expect(await gatewayOpened).toBe(true);
    const callId = h.gateway.activeCalls()[0]!.callId;
    expect(h.logs.find((l) => l.message === 'h323 the room did not open our H.245 listener in time: joining the meeting audio only' && l.callId === callId)).toMatchObject({ waitedMs: 3000 });
    expect(h.gateway.activeCalls()[0]!.meeting!.videoEnabled).toBe(false);
    const released = new Promise((resolve) => call.once('released', resolve));
    await session.endSession();
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it.each(['tunnel', 'separate'] as const)('H.323 8.5 (%s H.245): the gateway clears by CloseLogicalChannel for its channels (video, then audio), then endSessionCommand, then ReleaseComplete', async (mode: H323RoomMode) => {
    h = await startHarness({ mediaPorts: mode === 'tunnel' ? { min: 49320, max: 49339 } : { min: 49340, max: 49359 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode, video: { file: makeH264File(videoFile), fps: 15 }, calledAliases: [{ h323Id: `clc-${mode}` }] });
    rooms.push(room);
    await expect.poll(() => room.gatewayVideo !== undefined && room.gatewayAudio !== undefined, { timeout: 10_000 }).toBe(true);
    // the room's side of its H.245 session from here on, and when ReleaseComplete came
    const seen: string[] = [];
    room.session!.observer.on('pdu', (p) => seen.push(pduLabel(p)));
    const released = new Promise((resolve) => room.call.once('released', (end) => resolve(seen.push('ReleaseComplete') && end)));
    expect(h.gateway.hangUp(h.gateway.activeCalls()[0]!.callId)).toBe(true);
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    // the room, receiving endSessionCommand first, closes its own channels (video 2, audio 1) before
    // answering (H.323 8.5); tunnelled, the gateway's endSessionCommand rode in the ReleaseComplete
    // and nothing can answer it
    const roomAnswer = mode === 'tunnel'
      ? []
      : ['out request.closeLogicalChannel 2', 'out request.closeLogicalChannel 1', 'in response.closeLogicalChannelAck', 'in response.closeLogicalChannelAck', 'out command.endSessionCommand'];
    expect(seen.filter((x) => /LogicalChannel|endSession|ReleaseComplete/.test(x))).toEqual([
      'in request.closeLogicalChannel 102', 'out response.closeLogicalChannelAck',
      'in request.closeLogicalChannel 101', 'out response.closeLogicalChannelAck',
      'in command.endSessionCommand', ...roomAnswer, 'ReleaseComplete',
    ]);
    expect(h.logs.some((l) => l.message === 'h323 no CloseLogicalChannelAck in time: ending the H.245 session anyway')).toBe(false);
    room.stop();
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('fastStart with nothing we carry is refused (fastConnectRefused) and media comes up through tunnelled H.245', async () => {
    h = await startHarness({ mediaPorts: { min: 48910, max: 48929 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'fastStart', fastStartAudio: { codec: 'h263', cifMPI: 1, maxBitRate: 3840 }, calledAliases: [{ h323Id: 'fr' }] });
    rooms.push(room);
    expect(room.fastStartRefused).toBe(true);
    await expect.poll(() => room.gatewayAudio, { timeout: 10_000 }).toBeDefined();
    expect(h.logs.some((l) => l.message === 'h323 fastStart refused: no audio proposal pair we carry')).toBe(true);
    expect(h.logs.find((l) => l.message === 'h323 call answered')).toMatchObject({ fastStart: false, tunnelling: 'on' });
    room.hangup();
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });

  it('H.245: a room channel with another audio codec than the one we send is rejected (CallMedia runs one codec both ways)', async () => {
    h = await startHarness({ mediaPorts: { min: 48930, max: 48949 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'tunnel', h245SendCodec: { codec: 'g711Alaw64k', framesPerPacket: 20 }, calledAliases: [{ h323Id: 'mix' }] });
    rooms.push(room);
    await expect.poll(() => room.channelFailures.length, { timeout: 10_000 }).toBe(1);
    expect(room.channelFailures[0]).toMatch(/dataTypeNotSupported/);
    expect(h.logs.find((l) => l.message === 'h323 room channel refused')).toMatchObject({ codec: 'g711Alaw64k', reason: 'we send g711Ulaw64k' });
    room.hangup();
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });

  it('a room that hangs up while the gateway joins the meeting leaves no leg, port or call behind', async () => {
    h = await startHarness({ mediaPorts: { min: 48950, max: 48969 }, yaml: H323 });
    const a = { ip: '127.0.0.1', port: 9 };
    for (let i = 0; i < 3; i++) {
      const call = placeCall({
        address: '127.0.0.1', port: h.gateway.h323Port!, logger: { debug() {}, info() {}, warn() {}, error() {} }, calledAliases: [{ h323Id: 'leave' }],
        fastStart: [
          proposeFastStart({ direction: 'fromRoom', channel: 1, media: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionId: 1, rtp: a, rtcp: a }),
          proposeFastStart({ direction: 'toRoom', channel: 2, media: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionId: 1, rtp: a, rtcp: a }),
        ],
      });
      // CallProceeding comes before media and the meeting join: release right then, a few ms later each time
      call.once('proceeding', () => setTimeout(() => call.release(16), i * 15));
      await call.waitConnected().catch(() => undefined);
    }
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h!.meeting.stats().peers, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('operator keys (admin dtmf) reach the room as userInputIndication, an operator hang-up releases it with cause 16', async () => {
    h = await startHarness({ mediaPorts: { min: 48970, max: 48989 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'separate', calledAliases: [{ h323Id: 'op' }] });
    rooms.push(room);
    await expect.poll(() => h!.gateway.activeCalls()[0]?.state, { timeout: 10_000 }).toBe('active');
    const callId = h.gateway.activeCalls()[0]!.callId;
    expect(h.gateway.sendDtmf(callId, ['3', '#'], 120)).toBe('ok');
    await expect.poll(() => room.userInput.length, { timeout: 5000 }).toBe(2);
    expect(room.userInput).toEqual([{ kind: 'signal', signal: '3', durationMs: 120 }, { kind: 'signal', signal: '#', durationMs: 120 }]);
    const released = new Promise((resolve) => room.call.once('released', resolve));
    expect(h.gateway.hangUp(callId)).toBe(true);
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    await expect.poll(() => h!.gateway.stats().activeCalls).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('an unreachable meeting service: ReleaseComplete cause 41, logged, no port left', async () => {
    const logs: LogEntry[] = [];
    const config = parseConfig([
      'sip: { bind: 127.0.0.1, port: 0, advertisedAddress: 127.0.0.1 }',
      'media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1, portRange: { min: 48820, max: 48839 } }',
      `meeting: { url: "ws://127.0.0.1:${await closedPort()}/ws", joinTimeoutMs: 3000 }`,
      'admin: { port: 0 }',
      H323,
    ].join('\n'));
    gw = await Gateway.start(config, capturingLogger(logs));
    const dialled = H323Room.dial({ gatewayPort: gw.h323Port!, mode: 'tunnel', calledAliases: [{ dialledDigits: '1234' }] });
    await expect(dialled).rejects.toMatchObject({ end: { by: 'remote', cause: 41 } });
    expect(logs.filter((l) => l.message === 'h323 cannot join meeting')).toHaveLength(1);
    await expect.poll(() => gw!.stats().activeCalls).toBe(0);
    await expect.poll(() => gw!.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('no listener unless h323.signalling.enabled', async () => {
    h = await startHarness({ mediaPorts: { min: 48840, max: 48849 } });
    expect(h.gateway.h323Port).toBeUndefined();
  });
});

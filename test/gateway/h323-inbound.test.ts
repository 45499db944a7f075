// The gateway's H.323 calls without a browser (issue #5): keypad DTMF reaches the meeting leg,
// Gateway.close() releases live H.323 calls with cause 16, a meeting that cannot be joined is a
// ReleaseComplete with a cause (41 temporary failure for an unreachable meeting service), and the
// listener exists only when h323.signalling is enabled.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { parseConfig } from '../../config/index.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { capturingLogger, startHarness, type Harness, type LogEntry } from '../e2e/harness.ts';
import { H323Room } from '../helpers/h323-room.ts';
import { placeCall } from '../../h323/h225/index.ts';
import { proposeFastStart } from '../../gateway/h323/olc.ts';

const H323 = 'h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 } }';
let h: Harness | undefined;
let gw: Gateway | undefined;
const rooms: H323Room[] = [];

afterEach(async () => {
  for (const r of rooms.splice(0)) r.stop();
  await gw?.close();
  gw = undefined;
  await h?.close();
  h = undefined;
});

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

  it('the room\'s endSessionCommand (H.323 8.5) ends the call: the gateway answers it and sends ReleaseComplete', async () => {
    h = await startHarness({ mediaPorts: { min: 48850, max: 48869 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'tunnel', calledAliases: [{ h323Id: 'es' }] });
    rooms.push(room);
    await expect.poll(() => room.gatewayAudio, { timeout: 10_000 }).toBeDefined();
    const released = new Promise((resolve) => room.call.once('released', resolve));
    await room.session!.endSession(); // resolves on the gateway's endSessionCommand
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    await expect.poll(() => h!.gateway.stats().activeCalls).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
    expect(h.logs.some((l) => l.message === 'call ended' && l.by === 'room' && String(l.reason).startsWith('H.245 session ended'))).toBe(true);
  });

  it('no fastStart, no tunnel, no H.245 address from the room: the gateway announces its own H.245 listener in Connect', async () => {
    h = await startHarness({ mediaPorts: { min: 48890, max: 48909 }, yaml: H323 });
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'gatewayListens', calledAliases: [{ h323Id: 'gl' }] });
    rooms.push(room);
    expect(room.call.tunnelling).toBe('off');
    expect(room.call.remoteH245Address?.ip).toBe('127.0.0.1');
    await expect.poll(() => room.gatewayAudio, { timeout: 10_000 }).toBeDefined();
    await expect.poll(() => h!.logs.some((l) => l.message === 'h323 room channel accepted'), { timeout: 5000 }).toBe(true);
    expect(h.gateway.activeCalls()[0]?.state).toBe('active');
    room.sendUserInput('9');
    await expect.poll(() => h!.gateway.activeCalls()[0]?.dtmf?.lastDigits, { timeout: 5000 }).toBe('9');
    room.hangup();
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

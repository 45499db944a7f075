// Issue #5: dial-out to an H.323 room. The gateway places a Setup with fastStart proposals to an
// answering room (gateway/h323/room-endpoint.ts H323RoomListener, roomgate's own H.225.0 layer
// on the callee side) and brings it into the meeting with a headless Chromium participant: the
// browser hears the room's 440 Hz, the room hears the browser's 880 Hz; release from either side
// leaves nothing. Targets outside h323.dialOut.permitted are refused before any Setup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { dominantFrequency } from '../helpers/spectrum.ts';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H323RoomListener, makeH264File } from '../helpers/h323-room.ts';
import { h245Kind } from '../../h323/asn1/index.ts';
import { startAdminApi } from '../../gateway/admin-api.ts';
import { runCli } from '../../gateway/cli/main.ts';
import { capturingLogger, startHarness, type Harness } from './harness.ts';

const ROOM = 'demo';
let h: Harness;
let alice: Participant;
let roomListener: H323RoomListener;
let refusingListener: H323RoomListener;
let videoListener: H323RoomListener;
let h245Listener: H323RoomListener;
const videoFile = join(tmpdir(), `roomgate-h323-dial-out-${process.pid}.h264`);
let admin: Awaited<ReturnType<typeof startAdminApi>>;
const TOKEN = 'h323-dial-out-test-token-0123456789';

/** `roomgate …` in-process, against the admin API. */
async function roomgate(args: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const code = await runCli(['--admin', `http://127.0.0.1:${admin.port}`, '--token', TOKEN, ...args], (l) => lines.push(l));
  return { code, stdout: lines.join('\n') };
}

async function expectNothingLeftBehind(browserPeers: number): Promise<void> {
  await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.meeting.stats().peers, { timeout: 5000 }).toBe(browserPeers);
}

beforeAll(async () => {
  roomListener = await H323RoomListener.listen({ name: 'h323-callee', toneHz: 440 });
  // a room that only takes A-law answers only when we propose it too
  refusingListener = await H323RoomListener.listen({ name: 'h323-alaw', toneHz: 440, codec: 'PCMA' });
  h245Listener = await H323RoomListener.listen({ name: 'h323-h245', toneHz: 440, codec: 'G722', answer: 'h245' });
  videoListener = await H323RoomListener.listen({ name: 'h323-video', toneHz: 440, video: { file: makeH264File(videoFile), fps: 15 } });
  h = await startHarness({
    mediaPorts: { min: 48990, max: 49029 },
    yaml: [
      'h323:',
      '  signalling: { enabled: true, bind: 127.0.0.1, port: 0 }',
      "  dialOut: { permitted: ['[a-z0-9-]+@127\\.0\\.0\\.1:[0-9]+'], video: true }",
    ].join('\n'),
  });
  admin = await startAdminApi(h.gateway, { bind: '127.0.0.1', port: 0, token: TOKEN, logger: capturingLogger(h.logs) });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880, video: false });
}, 60_000);

afterAll(async () => {
  await roomListener?.close();
  await refusingListener?.close();
  await videoListener?.close();
  await h245Listener?.close();
  rmSync(videoFile, { force: true });
  await alice?.close();
  await admin?.close();
  await h?.close();
});

describe('dial-out to an H.323 room by address', () => {
  it('is answered; the room joins the meeting; 440 Hz one way, 880 Hz the other; room release leaves nothing', async () => {
    const answered = roomListener.nextRoom();
    // `roomgate dial` → POST /api/calls → Gateway.dialOut
    const res = await roomgate(['dial', '--meeting', ROOM, '--to', `h323:room-1@127.0.0.1:${roomListener.port}`]);
    expect(res.stdout).toMatch(/^answered \(H\.323\); call [0-9a-f]{32}$/);
    expect(res.code).toBe(0);
    const outcome = { callId: res.stdout.split(' ').pop()! };
    const room = await answered;
    const calls = h.gateway.activeCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ callId: outcome.callId, protocol: 'h323', direction: 'outbound', roomId: ROOM, state: 'active' });
    expect(h.logs.find((l) => l.message === 'h323 media' && l.callId === outcome.callId)).toMatchObject({ audio: 'PCMU' });
    // the Setup named what was dialled
    expect((room.call as unknown as { setup: { destinationAliases: unknown[] } }).setup.destinationAliases).toEqual([{ h323Id: 'room-1' }]);
    await alice.waitForPeer('room-1');
    const hz = await alice.dominantFrequencyFrom('room-1');
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
    const heard = await room.waitForReceivedAudio(3);
    const got = dominantFrequency(heard.subarray(8000), 8000);
    expect(got).toBeGreaterThan(875);
    expect(got).toBeLessThan(885);
    room.hangup();
    await alice.waitForPeerGone('room-1');
    await expectNothingLeftBehind(1);
    expect(h.logs.find((l) => l.message === 'call ended' && l.callId === outcome.callId)).toMatchObject({ by: 'room' });
  });

  it('an A-law room takes the A-law proposal; the operator hang-up sends ReleaseComplete cause 16', async () => {
    const answered = refusingListener.nextRoom();
    const outcome = await h.gateway.dialOut({ meeting: ROOM, to: `h323:alaw@127.0.0.1:${refusingListener.port}` });
    expect(outcome).toMatchObject({ status: 'answered' });
    const room = await answered;
    expect(h.logs.find((l) => l.message === 'h323 media' && l.callId === outcome.callId)).toMatchObject({ audio: 'PCMA' });
    const heard = await room.waitForReceivedAudio(2);
    expect(dominantFrequency(heard.subarray(8000), 8000)).toBeGreaterThan(875);
    const released = new Promise<{ by: string; cause?: number }>((resolve) => room.call.once('released', resolve));
    expect(h.gateway.hangUp(outcome.callId)).toBe(true);
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    await expectNothingLeftBehind(1);
  });

  it('a room that refuses fastStart (G.722 only): channels over the tunnelled H.245; tones both ways', async () => {
    const answered = h245Listener.nextRoom();
    const outcome = await h.gateway.dialOut({ meeting: ROOM, to: `h323:room-h@127.0.0.1:${h245Listener.port}` });
    expect(outcome).toMatchObject({ status: 'answered' });
    const room = await answered;
    expect(h.logs.find((l) => l.message === 'h323 media' && l.callId === outcome.callId)).toMatchObject({ audio: 'G722', h245: true });
    await alice.waitForPeer('room-h');
    const hz = await alice.dominantFrequencyFrom('room-h');
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
    const heard = await room.waitForReceivedAudio(3);
    const got = dominantFrequency(heard.subarray(room.sampleRate), room.sampleRate);
    expect(got).toBeGreaterThan(875);
    expect(got).toBeLessThan(885);
    // the gateway hangs up: H.323 8.5 phase E, our channel closed before endSessionCommand, then ReleaseComplete
    const seen: string[] = [];
    room.session!.observer.on('pdu', (p) => {
      const kind = p.message ? h245Kind(p.message) : '?';
      if (/LogicalChannel|endSession/.test(kind)) seen.push(`${p.direction} ${kind}`);
    });
    const released = new Promise((resolve) => room.call.once('released', (end) => resolve(seen.push('ReleaseComplete') && end)));
    expect(h.gateway.hangUp(outcome.callId)).toBe(true);
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    // the gateway's endSessionCommand rode in its ReleaseComplete: the room cannot answer it (nothing sent)
    expect(seen).toEqual(['in request.closeLogicalChannel', 'out response.closeLogicalChannelAck', 'in command.endSessionCommand', 'ReleaseComplete']);
    await alice.waitForPeerGone('room-h');
    await expectNothingLeftBehind(1);
  });

  it('with h323.dialOut.video: the room\'s H.264 reaches the browser; a new consumer\'s keyframe request reaches the room as videoFastUpdatePicture', async () => {
    const answered = videoListener.nextRoom();
    const outcome = await h.gateway.dialOut({ meeting: ROOM, to: `h323:room-v@127.0.0.1:${videoListener.port}` });
    expect(outcome).toMatchObject({ status: 'answered' });
    const room = await answered;
    expect(h.logs.find((l) => l.message === 'h323 media' && l.callId === outcome.callId)).toMatchObject({ audio: 'PCMU', video: 'H264' });
    await alice.waitForPeer('room-v');
    await expect.poll(() => alice.framesDecodedFrom('room-v'), { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(30);
    const before = room.fastUpdates.length;
    const bob = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Bob' });
    try {
      await bob.waitForPeer('room-v');
      await expect.poll(() => room.fastUpdates.length, { timeout: 20_000 }).toBeGreaterThan(before);
      expect(room.fastUpdates.slice(before).every((n) => n === 2)).toBe(true); // the room's channel number in its answer
      await expect.poll(() => room.videoPacketsReceived, { timeout: 20_000 }).toBeGreaterThan(10);
    } finally {
      await bob.close();
    }
    room.hangup();
    await alice.waitForPeerGone('room-v');
    await expectNothingLeftBehind(1);
  });

  it('a refused call reports failed with the cause; nothing is left', async () => {
    // nothing listens on this port: the TCP connect fails, the call ends before Connect
    const outcome = await h.gateway.dialOut({ meeting: ROOM, to: 'h323:nobody@127.0.0.1:9' });
    expect(outcome.status).toBe('failed');
    expect(outcome.callId).not.toBe('');
    expect(outcome.reason).toMatch(/ECONNREFUSED/);
    const res = await roomgate(['dial', '--meeting', ROOM, '--to', 'h323:nobody@127.0.0.1:9']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^failed \(H\.323\): /);
    await expectNothingLeftBehind(1);
  });

  it('no open relay: a target outside h323.dialOut.permitted is refused before any Setup', async () => {
    const before = roomListener.rooms.length;
    const outcome = await h.gateway.dialOut({ meeting: ROOM, to: `h323:room-1@127.0.0.2:${roomListener.port}` });
    expect(outcome).toMatchObject({ status: 'failed', callId: '', sipStatus: 403 });
    expect(outcome.reason).toMatch(/not a permitted H\.323 dial-out target/);
    const bad = await h.gateway.dialOut({ meeting: ROOM, to: 'h323:@127.0.0.1' });
    expect(bad).toMatchObject({ status: 'failed', callId: '', sipStatus: 400 });
    // the gatekeeper form is checked against the same list
    expect(await h.gateway.dialOut({ meeting: ROOM, to: 'h323:room-1' })).toMatchObject({ status: 'failed', callId: '', sipStatus: 403 });
    expect(roomListener.rooms.length).toBe(before);
    expect(h.gateway.stats().activeCalls).toBe(0);
  });
});

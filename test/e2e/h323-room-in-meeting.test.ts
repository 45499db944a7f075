// Issue #5 acceptance 3/4: an H.323 room (test/helpers/h323-room.ts, roomgate's
// own H.225.0/H.245 layers in the test process) calls the gateway's H.323 listener and meets a
// headless Chromium participant: with fastStart, with tunnelled H.245, and with a separate H.245
// connection (to the room's listener, and for video also to the gateway's own). The browser hears the room's 440 Hz, the room hears the browser's 880 Hz, the
// room's userInputIndication reaches the browser as one DTMF event, release leaves nothing.
// With video (an ffmpeg-made H.264 file sent as RTP by the room): Chromium decodes it, a new
// consumer's keyframe request reaches the room as videoFastUpdatePicture.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { dominantFrequency } from '../helpers/spectrum.ts';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { H323Room, makeH264File, type H323RoomMode } from '../helpers/h323-room.ts';
import { ManagedProcess } from '../helpers/processes.ts';
import { readWav, toMono } from '../helpers/wav.ts';
import type { Alias } from '../../h323/asn1/index.ts';
import { startHarness, type Harness } from './harness.ts';

const ROOM = 'demo';
let h: Harness;
let alice: Participant;
const rooms: H323Room[] = [];
const videoFile = join(tmpdir(), `roomgate-h323-room-${process.pid}.h264`);

async function expectNothingLeftBehind(browserPeers: number): Promise<void> {
  await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.meeting.stats().peers, { timeout: 5000 }).toBe(browserPeers);
}

async function digitsSeenBy(p: Participant): Promise<string[]> {
  return p.page.evaluate(() => window.roomgateTest!.dtmfEvents.map((e) => `${e.displayName}:${e.digit}`));
}

beforeAll(async () => {
  h = await startHarness({
    mediaPorts: { min: 48600, max: 48799 },
    yaml: [
      'h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 } }',
      'dialPlan:',
      `  - { match: '^4400$', target: { room: ${ROOM} } }`,
      "  - { match: '^([A-Za-z0-9_.~-]+)$', target: { room: '$1' } }",
    ].join('\n'),
  });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880, video: false });
}, 60_000);

afterAll(async () => {
  for (const r of rooms) r.stop();
  rmSync(videoFile, { force: true });
  await alice?.close();
  await h?.close();
});

// the meeting number from dialledDigits (through the dial plan), an h323-ID, and the IP##meeting form
const cases: [string, H323RoomMode, { calledAliases: Alias[] }][] = [
  ['fastStart, dialledDigits 4400', 'fastStart', { calledAliases: [{ dialledDigits: '4400' }] }],
  ['tunnelled H.245, h323-ID demo', 'tunnel', { calledAliases: [{ h323Id: ROOM }] }],
  ['separate H.245 channel, h323-ID 127.0.0.1##demo', 'separate', { calledAliases: [{ h323Id: `127.0.0.1##${ROOM}` }] }],
];

describe.each(cases)('H.323 room (%s) calls the meeting', (_label, mode, addressing) => {
  const name = `h323-${mode}`;
  let room: H323Room;

  it('connects and joins the meeting as a participant named after the room', async () => {
    room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode, name, toneHz: 440, ...addressing });
    rooms.push(room);
    await alice.waitForPeer(name);
    const calls = h.gateway.activeCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ protocol: 'h323', direction: 'inbound', roomId: ROOM });
    await expect.poll(() => room.gatewayAudio, { timeout: 10_000 }).toBeDefined();
    // the path this case is about was the one taken
    const answered = h.logs.find((l) => l.message === 'h323 call answered' && l.callId === calls[0]!.callId);
    expect(answered).toMatchObject({ fastStart: mode === 'fastStart', tunnelling: mode === 'separate' ? 'off' : 'on' });
    expect(room.call.tunnelling).toBe(mode === 'separate' ? 'off' : 'on');
    if (mode !== 'fastStart') {
      await expect.poll(() => h.logs.some((l) => l.message === 'h323 room channel accepted' && l.callId === calls[0]!.callId), { timeout: 5000 }).toBe(true);
    }
  });

  it('the browser hears the room\'s 440 Hz tone', async () => {
    const hz = await alice.dominantFrequencyFrom(name);
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
  });

  it('the room hears the browser\'s 880 Hz tone', async () => {
    const heard = await room.waitForReceivedAudio(3);
    const hz = dominantFrequency(heard.subarray(8000), 8000);
    expect(hz).toBeGreaterThan(875);
    expect(hz).toBeLessThan(885);
  });

  it('userInputIndication "5" from the room reaches the browser once', async () => {
    const before = (await digitsSeenBy(alice)).length;
    room.sendUserInput('5');
    await alice.page.waitForFunction((n) => window.roomgateTest!.dtmfEvents.length > n, before, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive within this window
    const seen = (await digitsSeenBy(alice)).slice(before);
    expect(seen).toEqual([`${name}:5`]);
  });

  it('a key from the browser reaches the room as one userInputIndication signal', async () => {
    await alice.page.evaluate((peer) => window.roomgateTest!.sendDtmf(peer, '7', 200), name);
    await expect.poll(() => room.userInput.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive within this window
    expect(room.userInput).toEqual([{ kind: 'signal', signal: '7', durationMs: 200 }]);
  });

  it('release (ReleaseComplete from the room) removes the participant and leaves no call or port', async () => {
    room.hangup();
    await alice.waitForPeerGone(name);
    await expectNothingLeftBehind(1);
  });
});

describe.each([
  ['PCMA', 'fastStart'],
  ['G722', 'tunnel'],
] as const)('%s H.323 room (%s)', (codec, mode) => {
  const name = `h323-${codec.toLowerCase()}`;
  let room: H323Room;

  it('the browser hears its 440 Hz, it hears the browser\'s 880 Hz; release leaves nothing', async () => {
    room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode, codec, name, toneHz: 440, calledAliases: [{ h323Id: ROOM }] });
    rooms.push(room);
    await alice.waitForPeer(name);
    expect(h.logs.find((l) => l.message === 'h323 media' && l.callId === h.gateway.activeCalls()[0]?.callId)).toMatchObject({ audio: codec });
    const hz = await alice.dominantFrequencyFrom(name);
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
    const heard = await room.waitForReceivedAudio(3);
    const got = dominantFrequency(heard.subarray(room.sampleRate), room.sampleRate);
    expect(got).toBeGreaterThan(875);
    expect(got).toBeLessThan(885);
    room.hangup();
    await alice.waitForPeerGone(name);
    await expectNothingLeftBehind(1);
  });
});

describe.each([
  ['fastStart', 'fastStart', 3],
  ['tunnelled H.245', 'tunnel', 2],
  ['separate H.245 channel', 'separate', 2],
  // no tunnel, no H.245 address: the room opens the listener the gateway announced in CallProceeding
  ['the gateway\'s own H.245 listener', 'gatewayListens', 2],
] as const)('H.264 video from an H.323 room (%s)', (_label, mode, roomVideoChannel) => {
  const name = `h323-video-${mode}`;
  let room: H323Room;

  it('Chromium decodes the room\'s H.264', async () => {
    const file = makeH264File(videoFile);
    room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode, name, toneHz: 440, video: { file, fps: 15 }, calledAliases: [{ h323Id: ROOM }] });
    rooms.push(room);
    await alice.waitForPeer(name);
    await expect.poll(() => room.gatewayVideo, { timeout: 10_000 }).toBeDefined();
    await expect.poll(() => alice.framesDecodedFrom(name), { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(30);
  });

  it('a new consumer of the room\'s video reaches the room as videoFastUpdatePicture on its channel; the room gets the meeting\'s video; the room\'s VFU becomes a keyframe request into the meeting', async () => {
    const before = room.fastUpdates.length;
    const bob = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: `Bob-${mode}` });
    try {
      await bob.waitForPeer(name);
      await expect.poll(() => room.fastUpdates.length, { timeout: 20_000 }).toBeGreaterThan(before);
      expect(room.fastUpdates.slice(before).every((n) => n === roomVideoChannel)).toBe(true);
      expect(h.gateway.activeCalls()[0]!.keyframes.toRoom).toBeGreaterThanOrEqual(1);
      await expect.poll(() => room.videoPacketsReceived, { timeout: 20_000 }).toBeGreaterThan(10);
      // the other way: the room's videoFastUpdatePicture on our video channel (102) → a keyframe request into the meeting
      const sentBefore = h.gateway.activeCalls()[0]!.meeting!.keyframeRequestsSent;
      await new Promise((r) => setTimeout(r, 600)); // past the 500 ms keyframe request spacing
      room.session!.sendVideoFastUpdate(102);
      await expect.poll(() => h.gateway.activeCalls()[0]!.meeting!.keyframeRequestsSent, { timeout: 5000 }).toBeGreaterThan(sentBefore);
      expect(h.gateway.activeCalls()[0]!.keyframes.fromRoom).toBe(1);
    } finally {
      await bob.close();
    }
  });

  it('release leaves no call or port', async () => {
    room.hangup();
    await alice.waitForPeerGone(name);
    await expectNothingLeftBehind(1);
  });
});

describe('a second roomgate process as the room: `roomgate h323-room` with media from files', () => {
  it('the browser hears its 440 Hz and decodes its H.264, gets its key once; its recording holds the meeting\'s 880 Hz', async () => {
    const file = makeH264File(videoFile);
    const wavOut = join(tmpdir(), `roomgate-h323-room-${process.pid}.wav`);
    const bin = fileURLToPath(new URL('../../bin/roomgate', import.meta.url));
    const before = (await digitsSeenBy(alice)).length;
    const proc = new ManagedProcess(bin, [
      'h323-room', '--gateway', `127.0.0.1:${h.gateway.h323Port}`, '--meeting', `127.0.0.1##${ROOM}`, '--mode', 'fastStart',
      '--name', 'h323-cli', '--tone', '440', '--video', file, '--record', wavOut, '--keys', '5', '--keys-after', '4', '--seconds', '9',
    ], { name: 'roomgate h323-room' });
    try {
      await proc.waitForLine(/^connected$/, 20_000);
      await alice.waitForPeer('h323-cli');
      const hz = await alice.dominantFrequencyFrom('h323-cli');
      expect(hz).toBeGreaterThan(435);
      expect(hz).toBeLessThan(445);
      await expect.poll(() => alice.framesDecodedFrom('h323-cli'), { timeout: 10_000, interval: 250 }).toBeGreaterThanOrEqual(30);
      await proc.waitForLine(/^sent 5$/, 10_000);
      await alice.page.waitForFunction((n) => window.roomgateTest!.dtmfEvents.length > n, before, { timeout: 10_000 });
      await proc.waitForLine(/^released 16 \(local\)$/, 15_000);
      expect((await proc.exited).code, proc.tail()).toBe(0);
      expect((await digitsSeenBy(alice)).slice(before)).toEqual(['h323-cli:5']);
      const heard = toMono(readWav(wavOut));
      expect(heard.length).toBeGreaterThan(8000 * 4);
      const got = dominantFrequency(heard.subarray(8000), 8000);
      expect(got).toBeGreaterThan(875);
      expect(got).toBeLessThan(885);
      await alice.waitForPeerGone('h323-cli');
      await expectNothingLeftBehind(1);
    } finally {
      await proc.kill();
      rmSync(wavOut, { force: true });
    }
  }, 60_000);
});

describe('the meeting ends', () => {
  it('the room gets ReleaseComplete with cause 16 and nothing is left', async () => {
    const room = await H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'tunnel', name: 'h323-end', calledAliases: [{ h323Id: ROOM }] });
    rooms.push(room);
    await alice.waitForPeer('h323-end');
    const released = new Promise((resolve) => room.call.once('released', resolve));
    const res = await fetch(new URL(`/api/rooms/${ROOM}/close`, h.meeting.url), { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    await expectNothingLeftBehind(0);
  });
});

describe('addressing', () => {
  it('a Setup naming no known meeting is released with cause 1 (unallocated number)', async () => {
    const p = H323Room.dial({ gatewayPort: h.gateway.h323Port!, mode: 'fastStart', calledAliases: [{ h323Id: 'no-such-room/x' }] });
    await expect(p).rejects.toMatchObject({ end: { cause: 1 } });
    expect(h.gateway.stats().activeCalls).toBe(0);
  });
});

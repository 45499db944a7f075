// Issue #2 acceptance: a SIP room terminal (baresip) in a cloud meeting with a browser participant
// (headless Chromium), audio and video both ways, through the real gateway and meeting service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { freeSipPort } from '../helpers/processes.ts';
import { killAllSipp, runSipp } from '../sip/sipp.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { dominantFrequency } from '../helpers/spectrum.ts';
import { startHarness, type Harness } from './harness.ts';

const ROOM = 'demo';
let h: Harness;
let alice: Participant;
const terminals: Baresip[] = [];

async function terminal(opts: Parameters<typeof startBaresip>[0]): Promise<Baresip> {
  const b = await startBaresip({ timeoutMs: 20_000, ...opts });
  terminals.push(b);
  return b;
}

/** The gateway holds no call, no media port and no dialog; the meeting has only the browsers. */
async function expectNothingLeftBehind(browserPeers: number): Promise<void> {
  await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.gateway.stats().sip.dialogs, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.meeting.stats().peers, { timeout: 5000 }).toBe(browserPeers);
}

beforeAll(async () => {
  h = await startHarness({ mediaPorts: { min: 41000, max: 41999 } });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880 });
});

afterAll(async () => {
  killAllSipp();
  for (const t of terminals) await t.stop().catch(() => undefined);
  await alice?.close();
  await h?.close();
});

describe.each([
  ['PCMU', 'PCMU/8000/1'],
  ['PCMA', 'PCMA/8000/1'],
  ['Opus', 'opus/48000/2'],
])('%s room terminal dials sip:demo@gateway', (label, codec) => {
  const user = `room-${label.toLowerCase()}`;
  let room: Baresip;

  it('joins the meeting as a participant named after the caller', async () => {
    room = await terminal({ tone: 440, codecs: [codec], user });
    await room.dial(h.dialUri(ROOM));
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer(user);
    expect(h.gateway.stats().activeCalls).toBe(1);
  });

  it('the browser hears the room\'s 440 Hz tone', async () => {
    const hz = await alice.dominantFrequencyFrom(user);
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
  });

  it('the room hears the browser\'s 880 Hz tone', async () => {
    const heard = await room.waitForReceivedAudio(3);
    // Skip the first second: the meeting's audio starts after the call is answered.
    const tail = heard.samples.subarray(heard.sampleRate);
    const hz = dominantFrequency(tail, heard.sampleRate);
    expect(hz).toBeGreaterThan(875);
    expect(hz).toBeLessThan(885);
  });

  it('hanging up removes the participant from the page within 1 s and leaves nothing behind', async () => {
    await room.hangup();
    const hungUpAt = Date.now();
    await alice.waitForPeerGone(user);
    expect(Date.now() - hungUpAt).toBeLessThanOrEqual(1000);
    await expectNothingLeftBehind(1);
    await room.stop();
  });
});

describe('H.264 video both ways', () => {
  let room: Baresip;

  it('Chromium decodes the room\'s H.264 and the room decodes Chromium\'s camera', async () => {
    room = await terminal({ tone: 440, codecs: ['PCMU/8000/1'], video: true, videoCodecs: ['H264'], user: 'room-video', verbose: true });
    await room.dial(h.dialUri(ROOM));
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer('room-video');
    await expect.poll(() => alice.framesDecodedFrom('room-video'), { timeout: 20_000, interval: 250 }).toBeGreaterThanOrEqual(30);
    const stats = await room.waitForDecodedFrames(30, 20_000);
    expect(stats.decodedFrames).toBeGreaterThanOrEqual(30);
  });

  it('a browser consumer\'s keyframe request reaches the room as SIP INFO picture_fast_update', async () => {
    const from = room.outputLineCount;
    // A new participant's consumer of the room's video makes the SFU ask the producer (the
    // gateway leg) for a keyframe: RTCP PLI/FIR → gateway → INFO (RFC 5168) → baresip.
    const bob = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Bob', video: false });
    try {
      await bob.waitForPeer('room-video');
      await room.waitForOutput(/receive media control: fast_update=1/, 20_000, from);
      const call = h.gateway.activeCalls()[0]!;
      expect(call.keyframes.toRoom).toBeGreaterThanOrEqual(1);
    } finally {
      await bob.close();
    }
  });

  it('when the meeting ends, the gateway sends BYE and releases everything', async () => {
    const res = await fetch(new URL(`/api/rooms/${ROOM}/close`, h.meeting.url), { method: 'POST' });
    expect(res.status).toBe(200);
    const closed = await room.waitFor('CALL_CLOSED');
    expect(closed.type).toBe('CALL_CLOSED');
    await expectNothingLeftBehind(0);
  });
});

describe('keyframe request from the room', () => {
  it('SIP INFO picture_fast_update from the room becomes an RTCP keyframe request toward the browser\'s video', async () => {
    // The meeting was ended above: Alice rejoins a new meeting in the same room.
    await alice.close();
    alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880 });
    const scenario = fileURLToPath(new URL('./scenarios/uac-info-fast-update.xml', import.meta.url));
    const localPort = await freeSipPort(0);
    const sipp = runSipp(['-sf', scenario, '-s', ROOM, `127.0.0.1:${h.sipPort}`, '-p', String(localPort), '-m', '1']);
    await expect
      .poll(() => h.logs.some((l) => l.message === 'picture fast update from the room'), { timeout: 20_000 })
      .toBe(true);
    const call = h.gateway.activeCalls()[0]!;
    expect(call.keyframes.fromRoom).toBe(1);
    // SIPp sends no RTCP of its own, so every keyframe request the leg sent came from the INFO.
    // The leg runs on a media thread: its counters reach the control thread as snapshots.
    await expect.poll(() => h.gateway.activeCalls()[0]?.meeting?.keyframeRequestsSent ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    const result = await sipp.done;
    expect(result.code, result.output).toBe(0);
    await expectNothingLeftBehind(1);
  });
});

// Issue #4 acceptance 1: a G.722 room terminal (baresip, audio_codecs=G722 only) in a cloud
// meeting with a browser participant (headless Chromium): tones both ways through the real
// gateway (G.722 16 kHz ⇄ 48 kHz ⇄ Opus), and a 6 kHz tone from the meeting reaching the room,
// which only a 16 kHz (wideband) path can carry: G.711's 8 kHz sampling ends at 4 kHz.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { dominantFrequency, spectralPeaks } from '../helpers/spectrum.ts';
import { startHarness, type Harness } from './harness.ts';

const ROOM = 'g722';
const USER = 'room-g722';
let h: Harness;
let alice: Participant;
let bob: Participant | undefined;
let room: Baresip | undefined;

beforeAll(async () => {
  h = await startHarness({ mediaPorts: { min: 47000, max: 47999 } });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880 });
});

afterAll(async () => {
  await room?.stop().catch(() => undefined);
  await bob?.close();
  await alice?.close();
  await h?.close();
});

describe('G.722 room terminal dials sip:g722@gateway', () => {
  it('joins the meeting with G.722 negotiated (static PT 9, G722/8000)', async () => {
    room = await startBaresip({ tone: 440, codecs: ['G722/16000/1'], user: USER, timeoutMs: 20_000 });
    await room.dial(h.dialUri(ROOM));
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer(USER);
    await expect.poll(() => h.logs.find((l) => l.message === 'call answered')?.['audio'], { timeout: 5000 }).toBe('G722');
  });

  it('the browser hears the room\'s 440 Hz tone', async () => {
    const hz = await alice.dominantFrequencyFrom(USER);
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
  });

  it('the room hears the browser\'s 880 Hz tone, decoded by baresip at 16 kHz', async () => {
    const heard = await room!.waitForReceivedAudio(3);
    expect(heard.sampleRate).toBe(16000); // sndfile records at the codec's rate: G.722 was used
    const tail = heard.samples.subarray(heard.sampleRate); // the meeting's audio starts after the answer
    const hz = dominantFrequency(tail, heard.sampleRate);
    console.info(`G.722 room hears before the 6 kHz source: ${spectralPeaks(tail, heard.sampleRate, 3).map((p) => `${p.hz.toFixed(1)} Hz at ${(20 * Math.log10(p.level)).toFixed(1)} dBFS`).join(', ')}`);
    expect(hz).toBeGreaterThan(875);
    expect(hz).toBeLessThan(885);
  });

  it('the room hears a 6 kHz tone from a second browser (wideband: beyond G.711\'s 4 kHz)', async () => {
    bob = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Bob', tone: 6000 });
    await bob.waitForPeer(USER);
    // Bob's tone reaches the gateway once the meeting has made the gateway's leg consume it.
    await expect.poll(() => h.gateway.activeCalls()[0]?.media?.activeCloudAudioSources, { timeout: 20_000 }).toBe(2);
    const rate = room!.recording().sampleRate;
    const from = room!.recording().samples.length + rate; // one second after both sources mix
    const heard = await room!.waitForReceivedAudio(from / rate + 2);
    const peaks = spectralPeaks(heard.samples.subarray(from), rate, 3);
    console.info(`G.722 room hears: ${peaks.map((p) => `${p.hz.toFixed(1)} Hz at ${(20 * Math.log10(p.level)).toFixed(1)} dBFS`).join(', ')}`);
    const six = peaks.find((p) => Math.abs(p.hz - 6000) < 10);
    const eight = peaks.find((p) => Math.abs(p.hz - 880) < 10);
    expect(six).toBeDefined();
    expect(eight).toBeDefined();
    // Both browsers send their tone at the same level: the 6 kHz one arrives within 6 dB of 880 Hz.
    expect(20 * Math.log10(six!.level / eight!.level)).toBeGreaterThan(-6);
  });

  it('hanging up removes the participant and leaves nothing behind', async () => {
    await room!.hangup();
    await alice.waitForPeerGone(USER);
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h.gateway.stats().sip.dialogs, { timeout: 5000 }).toBe(0);
  });
});

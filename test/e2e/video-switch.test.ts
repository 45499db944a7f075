// Issue #4 acceptance 3: voice-activated video switching toward a room. Two browser participants
// take turns speaking; the H.264 the room receives switches to the speaker, keeps one SSRC and a
// continuous sequence, and an IDR reaches the room within 500 ms of every switch, measured on a
// tshark capture of the loopback interface.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { LoopbackCapture, type CapturedDatagram } from '../helpers/rtp-capture.ts';
import { isH264KeyframeStart } from '../../bridge/video/h264-keyframe.ts';
import { startHarness, type Harness } from './harness.ts';

const ROOM = 'switching';
const MEDIA_PORTS = { min: 43100, max: 43199 };
let h: Harness;
let alice: Participant;
let bob: Participant;
let room: Baresip;
let capture: LoopbackCapture;

interface LegView {
  videoSourcePeerId?: string;
  videoSwitches: { atMs: number; peerId: string; fromPeerId?: string }[];
}

function leg(): LegView {
  const call = h.gateway.activeCalls()[0];
  if (!call?.meeting) throw new Error('no call with a meeting leg');
  return call.meeting;
}

async function peerIdOf(name: string): Promise<string> {
  const rooms = (await (await fetch(new URL('/api/rooms', h.meeting.url))).json()) as { roomId: string; peers: { peerId: string; displayName: string }[] }[];
  const peer = rooms.find((r) => r.roomId === ROOM)?.peers.find((p) => p.displayName === name);
  if (!peer) throw new Error(`${name} is not in the meeting`);
  return peer.peerId;
}

/** Only `speaker` sends its tone; the other is muted (silence). */
async function speak(speaker: Participant, silent: Participant): Promise<void> {
  await silent.page.evaluate(() => window.roomgateTest!.setMicEnabled(false));
  await speaker.page.evaluate(() => window.roomgateTest!.setMicEnabled(true));
}

beforeAll(async () => {
  h = await startHarness({ mediaPorts: MEDIA_PORTS });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 660 });
  bob = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Bob', tone: 880 });
  await speak(alice, bob);
  // Everything the gateway sends from its media ports (to the room) is captured.
  capture = await LoopbackCapture.start(`udp and src portrange ${MEDIA_PORTS.min}-${MEDIA_PORTS.max}`);
  room = await startBaresip({ timeoutMs: 20_000, tone: 300, codecs: ['PCMU/8000/1'], video: true, videoCodecs: ['H264'], user: 'room-switch' });
});

afterAll(async () => {
  await capture?.stop().catch(() => undefined);
  await room?.stop().catch(() => undefined);
  await alice?.close();
  await bob?.close();
  await h?.close();
});

describe('voice-activated video switching toward a SIP room', () => {
  let aliceId: string;
  let bobId: string;

  it('the room joins and sees video', async () => {
    await room.dial(h.dialUri(ROOM));
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer('room-switch');
    aliceId = await peerIdOf('Alice');
    bobId = await peerIdOf('Bob');
    await room.waitForDecodedFrames(20);
  });

  it('follows the active speaker: Bob, Alice, Bob', async () => {
    for (const [speaker, silent, id] of [[bob, alice, () => bobId], [alice, bob, () => aliceId], [bob, alice, () => bobId]] as const) {
      await speak(speaker, silent);
      await expect.poll(() => leg().videoSourcePeerId, { timeout: 15_000, interval: 100 }).toBe(id());
      // the room keeps decoding pictures of the new source
      const before = (await room.videoStats()).decodedFrames;
      await expect.poll(async () => (await room.videoStats()).decodedFrames, { timeout: 10_000, interval: 200 }).toBeGreaterThan(before + 10);
    }
    expect(leg().videoSwitches.length).toBeGreaterThanOrEqual(3);
  });

  it('the capture shows one SSRC, continuous sequence numbers, and an IDR within 500 ms of every switch', async () => {
    // switches from one participant to another (the first choice at join is not a switch)
    const switches = leg().videoSwitches.filter((s) => s.fromPeerId !== undefined);
    expect(switches.length).toBeGreaterThanOrEqual(3);
    const datagrams = await capture.stop();
    const video = datagrams.filter(isVideoRtp);
    expect(video.length).toBeGreaterThan(100);
    const ssrcs = new Set(video.map((d) => d.payload.readUInt32BE(8)));
    expect(ssrcs.size).toBe(1);
    let gaps = 0;
    for (let i = 1; i < video.length; i++) {
      const step = (video[i]!.payload.readUInt16BE(2) - video[i - 1]!.payload.readUInt16BE(2)) & 0xffff;
      if (step !== 1) gaps++;
    }
    expect(gaps).toBe(0); // loopback loses nothing: any gap would be a rewrite error
    const delays: number[] = [];
    for (const s of switches) {
      const idr = video.find((d) => d.atMs >= s.atMs && isH264KeyframeStart(rtpPayload(d.payload)));
      expect(idr, `an IDR after the switch to ${s.peerId} at ${s.atMs}`).toBeDefined();
      delays.push(idr!.atMs - s.atMs);
    }
    console.log(`video switch → IDR at the room (ms): ${delays.map((d) => d.toFixed(0)).join(', ')}`);
    for (const d of delays) expect(d).toBeLessThanOrEqual(500);
  });
});

/** RTP version 2 with a dynamic payload type: the H.264 stream (audio is PCMU, PT 0; RTCP is 200-206). */
function isVideoRtp(d: CapturedDatagram): boolean {
  const p = d.payload;
  if (p.length < 13 || p[0]! >> 6 !== 2) return false;
  if (p[1]! >= 200 && p[1]! <= 206) return false; // RTCP (RFC 5761 4)
  const pt = p[1]! & 0x7f; // the marker bit is p[1]'s top bit
  return pt >= 96 && pt <= 127;
}

function rtpPayload(p: Buffer): Buffer {
  const cc = p[0]! & 0x0f;
  let at = 12 + 4 * cc;
  if (p[0]! & 0x10) at += 4 + 4 * p.readUInt16BE(at + 2);
  return p.subarray(at);
}

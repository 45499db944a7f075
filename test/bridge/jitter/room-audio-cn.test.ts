// RFC 3389 comfort noise from the room: a CN packet turns the silence that follows into noise at
// its level on the room's timeline, without concealment, until speech resumes.
import { afterEach, describe, expect, it } from 'vitest';
import { CallMedia, G722Encoder, OpusAudioDecoder, g711Encode, type CallMediaOptions } from '../../../bridge/index.ts';
import { ComfortNoisePayload, dbovToRms } from '../../../bridge/audio/cn/index.ts';
import { G711Concealer } from '../../../bridge/audio/concealment.ts';
import { RoomAudioPlayout } from '../../../bridge/jitter/room-audio-playout.ts';
import { PortAllocator, RtpPacket, type Logger } from '../../../rtp/index.ts';
import { FakeCloud, FakeTerminal, sineInt16 } from '../fakes.ts';

const SSRC = 0xc0ffee;
const TS0 = 80000;
const tone = sineInt16(440, 8000, 160 * 40, 9000);

function speech(k: number): Buffer {
  const payload = Buffer.alloc(160);
  g711Encode('PCMU', tone, (k % 40) * 160, 160, payload, 0);
  return new RtpPacket({ payloadType: 0, sequenceNumber: 100 + k, timestamp: TS0 + 160 * k, ssrc: SSRC, payload, marker: k === 0 }).encode();
}

function cn(seq: number, ts: number, sid: Buffer, pt = 13): Buffer {
  return new RtpPacket({ payloadType: pt, sequenceNumber: 100 + seq, timestamp: ts, ssrc: SSRC, payload: sid }).encode();
}

function rmsOf(frames: Int16Array[]): number {
  let s = 0;
  let n = 0;
  for (const f of frames) for (const v of f) { s += v * v; n++; }
  return Math.sqrt(s / n);
}

function playout() {
  const delivered: RtpPacket[] = [];
  const noise: { ts: number; pcm: Int16Array }[] = [];
  const drops: string[] = [];
  const p = new RoomAudioPlayout({
    clockRate: 8000,
    payloadType: 0,
    concealer: new G711Concealer('PCMU'),
    deliver: (b) => delivered.push(RtpPacket.decode(b)),
    cnPt: 13,
    deliverPcm: (ts, pcm) => noise.push({ ts, pcm: pcm.slice() }),
    onDrop: (key) => drops.push(key),
  });
  return { p, delivered, noise, drops };
}

/** Push speech packets 0..n-1 at their 20 ms arrival times and tick through them. */
function talk(p: RoomAudioPlayout, n: number): void {
  for (let k = 0; k < n; k++) {
    p.push(speech(k), 20 * k);
    p.tick(20 * k);
  }
}

describe('RoomAudioPlayout with comfort noise (RFC 3389)', () => {
  it('after a CN packet, generates noise at its level on the room timeline instead of silence, never concealment', () => {
    const { p, delivered, noise } = playout();
    talk(p, 10);
    p.push(cn(10, TS0 + 1600, new ComfortNoisePayload(40).encode()), 200);
    for (let t = 200; t <= 1200; t += 20) p.tick(t);
    expect(delivered.every((r) => r.payloadType === 0)).toBe(true); // the CN packet never reaches the decoder
    expect(noise.length).toBeGreaterThanOrEqual(45);
    expect(noise[0]!.ts).toBe(TS0 + 1600);
    for (let i = 1; i < noise.length; i++) expect(noise[i]!.ts).toBe((noise[i - 1]!.ts + 160) >>> 0); // contiguous
    expect(noise.every((f) => f.pcm.length === 160)).toBe(true);
    const level = 20 * Math.log10(rmsOf(noise.map((f) => f.pcm)) / dbovToRms(40));
    expect(Math.abs(level)).toBeLessThan(1.5);
    expect(p.stats()).toMatchObject({ concealedFrames: 0, sidFrames: 1 });
    expect(p.stats().comfortNoiseFrames).toBe(noise.length);
  });

  it('speech after the silence ends the noise; the noise never overtakes the speech timestamp', () => {
    const { p, delivered, noise } = playout();
    talk(p, 10);
    p.push(cn(10, TS0 + 1600, new ComfortNoisePayload(50).encode()), 200);
    for (let t = 200; t < 600; t += 20) p.tick(t);
    // speech resumes 400 ms of room time later: seq 111, ts TS0 + 1600 + 3200
    const resume = new RtpPacket({ payloadType: 0, sequenceNumber: 111, timestamp: TS0 + 4800, ssrc: SSRC, payload: Buffer.alloc(160, 0xff), marker: true }).encode();
    p.push(resume, 600);
    for (let t = 600; t <= 1000; t += 20) p.tick(t);
    const before = noise.length;
    for (let t = 1000; t <= 1400; t += 20) p.tick(t);
    expect(noise.length).toBe(before); // stopped
    expect(p.inComfortNoise).toBe(false);
    const last = noise[noise.length - 1]!;
    expect(((TS0 + 4800) - (last.ts + 160)) | 0).toBeGreaterThanOrEqual(0);
    expect(delivered.some((r) => r.sequenceNumber === 111)).toBe(true);
  });

  it('a lost CN update inside the silence is not concealed as speech', () => {
    const { p, noise } = playout();
    talk(p, 10);
    p.push(cn(10, TS0 + 1600, new ComfortNoisePayload(45).encode()), 200);
    // seq 111 (an update) lost, seq 112 arrives 400 ms later
    p.push(cn(12, TS0 + 1600 + 3200, new ComfortNoisePayload(45, [-0.5]).encode()), 600);
    for (let t = 200; t <= 1000; t += 20) p.tick(t);
    expect(p.stats().concealedPackets).toBe(1); // the buffer saw the gap...
    expect(p.stats().concealedFrames).toBe(0); // ...and nothing was concealed
    expect(p.stats().sidFrames).toBe(2);
    expect(noise.length).toBeGreaterThan(30);
  });

  it('a CN update whose timestamp jumped (the room restarted its stream) moves the noise to the new timeline', () => {
    const { p, noise } = playout();
    talk(p, 10);
    p.push(cn(10, TS0 + 1600, new ComfortNoisePayload(45).encode()), 200);
    for (let t = 200; t <= 400; t += 20) p.tick(t);
    const jumped = TS0 + 1600 + 40000; // 5 s ahead of the noise
    p.push(cn(11, jumped, new ComfortNoisePayload(45).encode()), 420);
    for (let t = 420; t <= 800; t += 20) p.tick(t);
    const after = noise.filter((f) => ((f.ts - jumped) | 0) >= 0);
    expect(after.length).toBeGreaterThan(5);
    expect(after[0]!.ts).toBe(jumped);
    expect(noise.length).toBeLessThan(40); // no burst catching up 5 s of old timeline
  });

  it('an empty CN payload is dropped (reported) and starts no noise', () => {
    const { p, noise, drops } = playout();
    talk(p, 10);
    p.push(cn(10, TS0 + 1600, Buffer.alloc(0)), 200);
    for (let t = 200; t <= 600; t += 20) p.tick(t);
    expect(drops).toEqual(['cn-malformed']);
    expect(noise.length).toBe(0);
    expect(p.inComfortNoise).toBe(false);
  });

  it('without a negotiated CN payload type, a CN packet is handed on (the transcoder ignores it) and makes no noise', () => {
    const delivered: RtpPacket[] = [];
    const p = new RoomAudioPlayout({ clockRate: 8000, payloadType: 0, deliver: (b) => delivered.push(RtpPacket.decode(b)) });
    talk(p, 10);
    p.push(cn(10, TS0 + 1600, Buffer.from([40])), 200);
    for (let t = 200; t <= 600; t += 20) p.tick(t);
    expect(delivered.filter((r) => r.payloadType === 13)).toHaveLength(1);
    expect(p.stats().comfortNoiseFrames).toBe(0);
  });
});

// ---- through CallMedia on loopback UDP (real 20 ms clock) ----

const base = 33000 + 2 * Math.floor(Math.random() * 1000);
const ports = new PortAllocator({ min: base, max: base + 99 });
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

describe('CallMedia: comfort noise from a G.722 room with a dynamic CN payload type', () => {
  it('the meeting hears noise at the CN level while the room sends nothing (not a gap, not concealment)', async () => {
    const opts: CallMediaOptions = { ports, bindAddress: '127.0.0.1', logger: quiet, video: false, jitterBuffer: true };
    const media = await CallMedia.create(opts);
    const term = await FakeTerminal.open();
    const cloud = new FakeCloud();
    closers.push(() => { media.close(); term.close(); });
    media.setRemote({ address: '127.0.0.1', audio: { port: term.port, payloadType: 9, codec: 'G722', clockRate: 8000, channels: 1, ptimeMs: 20, cnPt: 118 } });
    media.attachCloud(cloud);
    const enc = new G722Encoder();
    const pcm16 = sineInt16(440, 16000, 320 * 10, 9000);
    for (let k = 0; k < 10; k++) {
      const payload = Buffer.alloc(160);
      enc.encode(pcm16, k * 320, 320, payload, 0);
      term.send(new RtpPacket({ payloadType: 9, sequenceNumber: 7 + k, timestamp: 1000 + 160 * k, ssrc: 77, payload }).encode(), media.audioPort);
    }
    term.send(new RtpPacket({ payloadType: 118, sequenceNumber: 17, timestamp: 1000 + 1600, ssrc: 77, payload: new ComfortNoisePayload(30).encode() }).encode(), media.audioPort);
    // nothing more from the room: 25 further Opus frames can only be comfort noise
    await cloud.until(() => cloud.audioSent.length >= 35);
    const dec = new OpusAudioDecoder();
    const frames = cloud.audioSent.map((b) => Int16Array.from(dec.decode(RtpPacket.decode(b).payload)));
    const noise = frames.slice(15, 35);
    const db = 20 * Math.log10(rmsOf(noise) / dbovToRms(30));
    expect(Math.abs(db)).toBeLessThan(3); // through G.722-rate noise → 48 kHz → Opus
    const j = media.stats().jitter!.roomAudio!;
    expect(j.sidFrames).toBe(1);
    expect(j.concealedFrames).toBe(0);
    expect(j.comfortNoiseFrames).toBeGreaterThanOrEqual(20);
    expect(media.stats().decodeErrors + media.stats().malformedDropped).toBe(0);
  });
});

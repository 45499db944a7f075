import { describe, expect, it } from 'vitest';
import { concealerFor } from '../../../bridge/audio/concealment.ts';
import { G722Concealer } from '../../../bridge/audio/g722-concealer.ts';
import { G722Decoder, G722Encoder } from '../../../bridge/audio/g722/index.ts';
import { RoomAudioPlayout } from '../../../bridge/jitter/room-audio-playout.ts';
import { RtpPacket } from '../../../rtp/index.ts';
import { dominantFrequency } from '../../helpers/spectrum.ts';

const RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz = 160 octets
const FRAMES = 150; // 3 s

/** A voiced-like 16 kHz signal: 200 Hz fundamental and harmonics (period 80 samples). */
function voiced(n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    out[i] = Math.round(6000 * Math.sin(2 * Math.PI * 200 * t) + 3000 * Math.sin(2 * Math.PI * 400 * t + 0.5)
      + 1500 * Math.sin(2 * Math.PI * 600 * t + 1.1) + 800 * Math.sin(2 * Math.PI * 1000 * t));
  }
  return out;
}

function tone(hz: number, n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(9000 * Math.sin((2 * Math.PI * hz * i) / RATE));
  return out;
}

function encodeFrames(pcm: Int16Array): Buffer[] {
  const enc = new G722Encoder();
  const out: Buffer[] = [];
  for (let f = 0; f < pcm.length / FRAME; f++) {
    const p = Buffer.alloc(FRAME / 2);
    enc.encode(pcm, f * FRAME, FRAME, p, 0);
    out.push(p);
  }
  return out;
}

/** Deterministic loss pattern (LCG), never the first 10 frames (history for the concealer). */
function lossPattern(rate: number, seed: number): boolean[] {
  let x = seed;
  const lost: boolean[] = [];
  for (let f = 0; f < FRAMES; f++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    lost.push(f >= 10 && x / 2 ** 32 < rate);
  }
  return lost;
}

/** Decode as the room → meeting path would: lost frames either concealed or left silent. */
function decodeWithLoss(frames: Buffer[], lost: boolean[], conceal: boolean): Int16Array {
  const dec = new G722Decoder();
  const plc = new G722Concealer();
  const out = new Int16Array(frames.length * FRAME);
  frames.forEach((p, f) => {
    if (!lost[f]) {
      const copy = Buffer.from(p);
      plc.observe(copy);
      dec.decode(copy, out, f * FRAME);
    } else if (conceal) {
      dec.decode(plc.conceal(p.length), out, f * FRAME);
    } // silence-filling: the decoder never sees the frame, the output stays 0
  });
  return out;
}

function snrDb(ref: Int16Array, x: Int16Array): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i]! * ref[i]!;
    e += (ref[i]! - x[i]!) ** 2;
  }
  return 10 * Math.log10(s / Math.max(e, 1));
}

/** Largest sample-to-sample step within ±2 samples of each frame boundary next to a lost frame. */
function seamJump(x: Int16Array, lost: boolean[]): number {
  let worst = 0;
  for (let f = 1; f < lost.length; f++) {
    if (lost[f] === lost[f - 1]) continue;
    const b = f * FRAME;
    for (let i = b - 2; i <= b + 2; i++) worst = Math.max(worst, Math.abs(x[i]! - x[i - 1]!));
  }
  return worst;
}

function maxStep(x: Int16Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

describe('G.722 packet-loss concealment (sub-band pitch repetition after G.722 App. IV)', () => {
  for (const lossRate of [0.05, 0.2]) {
    it(`a voiced signal with ${lossRate * 100} % of frames lost is closer to the original concealed than silence-filled`, () => {
      const pcm = voiced(FRAMES * FRAME);
      const frames = encodeFrames(pcm);
      const lost = lossPattern(lossRate, 7);
      expect(lost.filter(Boolean).length).toBeGreaterThan(0);
      const reference = decodeWithLoss(frames, lost.map(() => false), false);
      const silent = decodeWithLoss(frames, lost, false);
      const concealed = decodeWithLoss(frames, lost, true);
      const snrSilent = snrDb(reference, silent);
      const snrConcealed = snrDb(reference, concealed);
      expect(snrConcealed).toBeGreaterThan(snrSilent + 6);
    });
  }

  it('a lost frame of a 400 Hz tone is concealed at 400 Hz, near its level', () => {
    const pcm = tone(400, FRAMES * FRAME);
    const frames = encodeFrames(pcm);
    const lost = frames.map((_, f) => f === 60);
    const concealed = decodeWithLoss(frames, lost, true);
    const gap = concealed.subarray(60 * FRAME, 61 * FRAME);
    expect(dominantFrequency(gap, RATE)).toBeGreaterThan(380);
    expect(dominantFrequency(gap, RATE)).toBeLessThan(420);
    let peak = 0;
    for (const v of gap) peak = Math.max(peak, Math.abs(v));
    expect(peak).toBeGreaterThan(0.7 * 9000);
  });

  it('no clicks: the sample-to-sample step at every seam stays within the signal\'s own largest step', () => {
    const pcm = voiced(FRAMES * FRAME);
    const frames = encodeFrames(pcm);
    const lost = lossPattern(0.2, 11);
    const reference = decodeWithLoss(frames, lost.map(() => false), false);
    const concealed = decodeWithLoss(frames, lost, true);
    const silent = decodeWithLoss(frames, lost, false);
    const bound = 1.25 * maxStep(reference);
    expect(seamJump(concealed, lost)).toBeLessThan(bound);
    expect(seamJump(silent, lost)).toBeGreaterThan(seamJump(concealed, lost)); // the check can fail
  });

  it('a long erasure fades to silence, and decoding recovers the signal afterwards', () => {
    const pcm = tone(400, FRAMES * FRAME);
    const frames = encodeFrames(pcm);
    const lost = frames.map((_, f) => f >= 40 && f < 50); // 200 ms
    const concealed = decodeWithLoss(frames, lost, true);
    const reference = decodeWithLoss(frames, lost.map(() => false), false);
    let late = 0;
    for (const v of concealed.subarray(48 * FRAME, 50 * FRAME)) late = Math.max(late, Math.abs(v));
    expect(late).toBeLessThan(300); // 160-200 ms into the erasure: silent
    // 40 ms after the erasure the decoder tracks the sender again
    expect(snrDb(reference.subarray(52 * FRAME, 60 * FRAME), concealed.subarray(52 * FRAME, 60 * FRAME))).toBeGreaterThan(20);
  });

  it('RoomAudioPlayout conceals a lost G.722 packet with a 160-octet payload on the lost seq/ts', () => {
    const frames = encodeFrames(tone(400, 20 * FRAME));
    const delivered: RtpPacket[] = [];
    const c = concealerFor('G722');
    expect(c).toBeInstanceOf(G722Concealer);
    const p = new RoomAudioPlayout({ clockRate: 8000, payloadType: 9, concealer: c, deliver: (b) => delivered.push(RtpPacket.decode(b)) });
    const pkt = (i: number) => new RtpPacket({ payloadType: 9, sequenceNumber: 100 + i, timestamp: 1000 + 160 * i, ssrc: 5, payload: frames[i]! }).encode();
    for (let i = 0; i < 12; i++) if (i !== 8) p.push(pkt(i), 20 * i);
    for (let t = 0; t <= 400; t += 20) p.tick(t);
    const lostOne = delivered.find((r) => r.sequenceNumber === 108);
    expect(lostOne).toBeDefined();
    expect(lostOne!.timestamp).toBe(1000 + 160 * 8);
    expect(lostOne!.payload.length).toBe(160);
    expect(p.stats().concealedFrames).toBe(1);
  });
});

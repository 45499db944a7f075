/**
 * What the load generator sends, and how a receiver finds the marks in it.
 *
 * Audio: a talk-like pattern of one second, 50 frames of 20 ms: frames 0–39 a 440 Hz tone,
 * frames 40–49 silence. Frame 0 of each cycle is the *onset* mark: a receiver that decodes
 * the audio finds the first loud packet after a quiet run, and the latency of that packet is
 * its arrival time minus the send time of the onset frame on the other side. Content-based
 * marks survive any transcoder (timestamps and sequence numbers are rewritten; audio is not).
 *
 * Video: synthetic H.264 RTP (RFC 6184 FU-A fragments of ~1,190 bytes) at 30 frames/s,
 * 2 Mbit/s; each payload carries its send time (float64 ms on the shared monotonic clock) after
 * the FU header. Passthrough leaves payloads alone, so the receiver reads the time directly.
 */
import { g711Decode, g711Encode, OpusAudioEncoder, OPUS_FRAME_SAMPLES } from '../../bridge/index.ts';

export const FRAME_MS = 20;
export const PCMU_FRAME_BYTES = 160;
export const CYCLE_FRAMES = 50;
const LOUD_FRAMES = 40;
/** True for the frames of the cycle that carry the tone. */
export const isLoudFrame = (frameIndex: number): boolean => frameIndex % CYCLE_FRAMES < LOUD_FRAMES;
const TONE_HZ = 440;
const TONE_AMPLITUDE = 8000;
/** A decoded packet whose peak is above this is "loud"; below QUIET_PEAK it is "quiet". */
export const LOUD_PEAK = 2000;
export const QUIET_PEAK = 300;
/** Quiet packets in a row needed before a loud one counts as an onset. */
export const QUIET_RUN = 3;


function patternPcm(rate: number): Int16Array {
  const perFrame = (rate * FRAME_MS) / 1000;
  const out = new Int16Array(perFrame * CYCLE_FRAMES);
  for (let i = 0; i < perFrame * LOUD_FRAMES; i++) {
    out[i] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * i) / rate));
  }
  return out;
}

/** 50 PCMU payloads of 160 bytes, one per frame of the cycle. */
export function pcmuCycle(): Buffer[] {
  const pcm = patternPcm(8000);
  return Array.from({ length: CYCLE_FRAMES }, (_, f) => {
    const b = Buffer.alloc(PCMU_FRAME_BYTES);
    g711Encode('PCMU', pcm, f * PCMU_FRAME_BYTES, PCMU_FRAME_BYTES, b, 0);
    return b;
  });
}

/**
 * 50 Opus payloads (48 kHz mono, 20 ms, the bridge's own encoder settings: 32 kbit/s, voice,
 * in-band FEC), pre-encoded once. The cycle is encoded twice and the second pass kept, so the
 * encoder state at the loop point is the steady one.
 */
export function opusCycle(): Buffer[] {
  const pcm = patternPcm(48000);
  const enc = new OpusAudioEncoder();
  let frames: Buffer[] = [];
  for (let pass = 0; pass < 2; pass++) {
    frames = Array.from({ length: CYCLE_FRAMES }, (_, f) => Buffer.from(enc.encode(pcm, f * OPUS_FRAME_SAMPLES)));
  }
  return frames;
}

const pcmScratch = new Int16Array(PCMU_FRAME_BYTES * 8);

/** Peak absolute sample of a PCMU payload. */
export function pcmuPeak(payload: Buffer): number {
  const n = Math.min(payload.length, pcmScratch.length);
  g711Decode('PCMU', payload.subarray(0, n), pcmScratch, 0);
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(pcmScratch[i]!);
    if (v > peak) peak = v;
  }
  return peak;
}

export function int16Peak(pcm: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = Math.abs(pcm[i]!);
    if (v > peak) peak = v;
  }
  return peak;
}

/** Finds onsets in a stream of per-packet peaks: loud after at least QUIET_RUN quiet packets. */
export class OnsetDetector {
  private quiet = 0;
  /** True when this packet is an onset. */
  push(peak: number): boolean {
    if (peak >= LOUD_PEAK) {
      const onset = this.quiet >= QUIET_RUN;
      this.quiet = 0;
      return onset;
    }
    if (peak < QUIET_PEAK) this.quiet++;
    else this.quiet = 0;
    return false;
  }
}

// ---- H.264 -------------------------------------------------------------------------------------

export const VIDEO_FPS = 30;
export const VIDEO_BITRATE = 2_000_000;
export const VIDEO_PAYLOAD_BYTES = 1190;
/** Packets per frame for the target bitrate: 2e6 / 8 / 30 = 8,333 bytes → 7 × 1,190. */
export const VIDEO_PACKETS_PER_FRAME = Math.round(VIDEO_BITRATE / 8 / VIDEO_FPS / VIDEO_PAYLOAD_BYTES);
/** Offset of the send time inside the payload (after FU indicator and FU header). */
export const VIDEO_STAMP_OFFSET = 2;
const NAL_FU_A = 28;
const NAL_IDR = 5;
const NAL_NON_IDR = 1;

/**
 * Payload of fragment `i` of a frame (RFC 6184 5.8 FU-A): FU indicator (NRI 3, type 28),
 * FU header (S on the first fragment, E on the last, the NAL type), then filler. An IDR frame
 * every 2 s, the rest non-IDR. The send time is written later, at send.
 */
export function videoFragment(frameIndex: number, i: number): Buffer {
  const b = Buffer.alloc(VIDEO_PAYLOAD_BYTES, 0xab);
  const nalType = frameIndex % (2 * VIDEO_FPS) === 0 ? NAL_IDR : NAL_NON_IDR;
  b[0] = 0x60 | NAL_FU_A;
  b[1] = (i === 0 ? 0x80 : 0) | (i === VIDEO_PACKETS_PER_FRAME - 1 ? 0x40 : 0) | nalType;
  return b;
}

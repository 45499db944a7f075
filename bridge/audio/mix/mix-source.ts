import { parseRtpHeader, rtpSequence } from '../../../rtp/index.ts';
import { SourceQueue } from '../mixer.ts';
import { OPUS_FRAME_SAMPLES, OpusAudioDecoder } from '../opus-codec.ts';

/** Why a meeting packet was not used. */
export type MixSourceDrop = 'malformed' | 'late' | 'decode-error';

const MAX_QUEUE_SAMPLES = 10 * OPUS_FRAME_SAMPLES;
/**
 * A decoded frame below this mean square (16-bit scale; RMS 30 ≈ -61 dBFS) is quiet: it may be
 * left out to take back delay (see `push`).
 */
const QUIET_MEAN_SQUARE = 30 * 30;
/** Smoothing of the per-frame level used to rank speakers (≈ 200 ms time constant at 20 ms frames). */
const LEVEL_SMOOTHING = 0.1;

/**
 * One meeting participant's audio inside a mix hub: decoded once, whichever room's meeting leg
 * delivered it (the "feeder"), queued with a small prefill for jitter, pulled one 20 ms frame
 * per tick. Its smoothed level ranks it among the meeting's speakers.
 */
export class MixSource {
  private readonly decoder = new OpusAudioDecoder();
  private readonly queue: SourceQueue;
  /** This tick's frame (valid when `hasFrame`). */
  readonly frame = new Float32Array(OPUS_FRAME_SAMPLES);
  hasFrame = false;
  /** Smoothed mean square of recent frames (16-bit scale). */
  level = 0;
  feeder: object;
  lastInputMs: number;
  /** Quiet frames left out because the queue already held the prefill (delay taken back). */
  trimmed = 0;
  private lastSeq: number | undefined;

  /**
   * @param prefillSamples a source starts (and restarts after an underrun) once it holds this
   *   much: one frame behind a jitter buffer that already absorbs network jitter, more without.
   */
  constructor(feeder: object, nowMs: number, private readonly prefillSamples = OPUS_FRAME_SAMPLES) {
    this.feeder = feeder;
    this.lastInputMs = nowMs;
    this.queue = new SourceQueue(MAX_QUEUE_SAMPLES + OPUS_FRAME_SAMPLES * 6, nowMs);
  }

  /** Another leg delivers this source from now on (its consumer has its own seq space). */
  changeFeeder(feeder: object): void {
    this.feeder = feeder;
    this.lastSeq = undefined;
  }

  /** Opus RTP of this source. Returns why it was dropped, or undefined when used. */
  push(rtp: Buffer, nowMs: number): MixSourceDrop | undefined {
    let layout;
    try {
      layout = parseRtpHeader(rtp);
    } catch {
      return 'malformed';
    }
    const seq = rtpSequence(rtp);
    if (this.lastSeq !== undefined) {
      const d = ((seq - this.lastSeq) << 16) >> 16; // RFC 3550 A.1: signed 16-bit distance
      if (d <= 0 && d > -1000) return 'late';
    }
    this.lastSeq = seq;
    this.lastInputMs = nowMs;
    const end = rtp.length - layout.paddingLength;
    if (end <= layout.payloadOffset) return undefined; // empty (DTX keep-alive)
    let pcm: Int16Array;
    try {
      pcm = this.decoder.decode(rtp.subarray(layout.payloadOffset, end));
    } catch {
      return 'decode-error';
    }
    this.queue.lastInputMs = nowMs;
    // The mix pulls one frame per tick after the jitter buffers released theirs (TickPhase), so in
    // steady state the queue is empty when a packet arrives. A frame already waiting is delay that
    // an underrun's re-prime or a shrinking playout delay left behind: a quiet frame is not queued
    // then, which takes the delay back in the next pause, inaudibly (a loud one is never dropped).
    if (this.queue.primed && this.queue.size >= this.prefillSamples && meanSquare(pcm) < QUIET_MEAN_SQUARE) {
      this.trimmed++;
      return undefined;
    }
    this.queue.push(pcm, MAX_QUEUE_SAMPLES);
    if (!this.queue.primed && this.queue.size >= this.prefillSamples) this.queue.primed = true;
    return undefined;
  }

  /** A lost packet (the feeder's jitter buffer says so): the decoder's concealment fills it (RFC 6716 4.4). */
  conceal(samples: number, nowMs: number): void {
    this.queue.lastInputMs = nowMs;
    this.queue.push(this.decoder.conceal(samples), MAX_QUEUE_SAMPLES);
  }

  /** Samples waiting to be mixed (the jitter buffer's drift control reads it). */
  get queuedSamples(): number {
    return this.queue.size;
  }

  /** Take this tick's frame; false when the source has nothing to play (not primed, underrun). */
  pull(): boolean {
    this.frame.fill(0);
    this.hasFrame = false;
    const q = this.queue;
    if (!q.primed) {
      this.level *= 1 - LEVEL_SMOOTHING;
      return false;
    }
    const got = q.addInto(this.frame, OPUS_FRAME_SAMPLES);
    if (got < OPUS_FRAME_SAMPLES) q.primed = false; // underrun: re-buffer before playing again
    let sum = 0;
    for (let i = 0; i < got; i++) sum += this.frame[i]! * this.frame[i]!;
    this.level += LEVEL_SMOOTHING * (sum / OPUS_FRAME_SAMPLES - this.level);
    this.hasFrame = got > 0;
    return this.hasFrame;
  }

  /** Nothing queued and no input for `timeoutMs`: the source is gone. */
  expired(nowMs: number, timeoutMs: number): boolean {
    return nowMs - this.lastInputMs > timeoutMs && this.queue.size === 0;
  }
}

function meanSquare(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return pcm.length === 0 ? 0 : sum / pcm.length;
}

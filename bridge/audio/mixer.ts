import { OPUS_FRAME_SAMPLES } from './opus-codec.ts';

export interface MixerOptions {
  /** Samples per mixed frame. Default 960 (20 ms at 48 kHz). */
  frameSamples?: number;
  /** A source starts (and restarts after an underrun) once it holds this many samples. Default 2 frames. */
  prefillSamples?: number;
  /** A source holding more than this drops its oldest samples (bounds latency). Default 10 frames. */
  maxQueueSamples?: number;
  /** Sources with no input for this long are removed, ms. Default 1000. */
  sourceTimeoutMs?: number;
}

/** Per-source sample FIFO (ring buffer) with prefill-based jitter tolerance. */
export class SourceQueue {
  readonly ring: Int16Array;
  head = 0; // read position
  size = 0;
  primed = false;
  lastInputMs: number;

  constructor(capacity: number, nowMs: number) {
    this.ring = new Int16Array(capacity);
    this.lastInputMs = nowMs;
  }

  push(pcm: Int16Array, maxQueue: number): number {
    const cap = this.ring.length;
    let dropped = 0;
    let src = pcm;
    if (src.length > cap) src = src.subarray(src.length - cap);
    const overflow = this.size + src.length - maxQueue;
    if (overflow > 0) {
      const d = Math.min(overflow, this.size);
      this.head = (this.head + d) % cap;
      this.size -= d;
      dropped = d;
    }
    let tail = (this.head + this.size) % cap;
    for (let i = 0; i < src.length; i++) {
      this.ring[tail] = src[i]!;
      tail = tail + 1 === cap ? 0 : tail + 1;
    }
    this.size += src.length;
    return dropped;
  }

  /** Add up to `n` samples into `acc`; returns how many were available. */
  addInto(acc: Float32Array, n: number): number {
    const take = Math.min(n, this.size);
    const cap = this.ring.length;
    let h = this.head;
    for (let i = 0; i < take; i++) {
      acc[i]! += this.ring[h]!;
      h = h + 1 === cap ? 0 : h + 1;
    }
    this.head = h;
    this.size -= take;
    return take;
  }
}

/**
 * Sums N 48 kHz mono PCM streams. Each source has a small queue; `mix()` (called by a 20 ms
 * tick) takes one frame from every primed source. A source underrunning plays what it has, then
 * re-buffers to the prefill depth; a source silent for `sourceTimeoutMs` is dropped. The sum is
 * clipped (saturating) to 16 bits.
 */
export class AudioMixer {
  readonly frameSamples: number;
  private readonly prefill: number;
  private readonly maxQueue: number;
  private readonly timeoutMs: number;
  private readonly sources = new Map<string, SourceQueue>();
  private readonly acc: Float32Array;
  /** Counters for stats. */
  droppedSamples = 0;
  underruns = 0;

  constructor(opts: MixerOptions = {}) {
    this.frameSamples = opts.frameSamples ?? OPUS_FRAME_SAMPLES;
    this.prefill = opts.prefillSamples ?? 2 * this.frameSamples;
    this.maxQueue = opts.maxQueueSamples ?? 10 * this.frameSamples;
    this.timeoutMs = opts.sourceTimeoutMs ?? 1000;
    this.acc = new Float32Array(this.frameSamples);
  }

  get sourceCount(): number {
    return this.sources.size;
  }

  hasSource(id: string): boolean {
    return this.sources.has(id);
  }

  push(sourceId: string, pcm: Int16Array, nowMs: number): void {
    let q = this.sources.get(sourceId);
    if (!q) {
      q = new SourceQueue(this.maxQueue + OPUS_FRAME_SAMPLES * 6, nowMs);
      this.sources.set(sourceId, q);
    }
    q.lastInputMs = nowMs;
    this.droppedSamples += q.push(pcm, this.maxQueue);
    if (!q.primed && q.size >= this.prefill) q.primed = true;
  }

  removeSource(sourceId: string): void {
    this.sources.delete(sourceId);
  }

  /** Samples waiting in one source's queue (0 for an unknown source). */
  queuedSamples(sourceId: string): number {
    return this.sources.get(sourceId)?.size ?? 0;
  }

  /**
   * Produce one frame into `out` (float, 16-bit scale, already clipped to ±32767/-32768).
   * Returns the number of sources that contributed samples, and calls `onRemoved` for
   * timed-out sources.
   */
  mix(out: Float32Array, nowMs: number, onRemoved?: (sourceId: string) => void): number {
    const n = this.frameSamples;
    const acc = this.acc;
    acc.fill(0);
    let contributing = 0;
    for (const [id, q] of this.sources) {
      if (nowMs - q.lastInputMs > this.timeoutMs && q.size === 0) {
        this.sources.delete(id);
        onRemoved?.(id);
        continue;
      }
      if (!q.primed) continue;
      const got = q.addInto(acc, n);
      if (got > 0) contributing++;
      if (got < n) {
        q.primed = false; // underrun: re-buffer before playing again
        this.underruns++;
      }
    }
    for (let i = 0; i < n; i++) {
      const v = acc[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return contributing;
  }
}

import { rtpSequence, rtpSsrc, rtpTimestamp } from '../../rtp/index.ts';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream, Hz (8000 G.711, 16000/8000 G.722, 48000 Opus). */
  clockRate: number;
  /**
   * Bounds of the adaptive target delay above the fastest transit, ms. Defaults 5 and 200. The
   * floor is low because the consumer's 20 ms tick adds 0–20 ms of slack on top (a packet is
   * handed on at the first tick at or after its due time), and a measured spread raises the
   * target at once.
   */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Target delay before any jitter was measured (the first 10 arrivals), ms. Default 20. */
  initialDelayMs?: number;
  /** Arrivals the delay estimate looks back over (p95 and the base transit). Default 150 (3 s of 20 ms packets). */
  historyPackets?: number;
  /** How fast the playout delay may shrink, ms per second. Default 10 (it grows at once). */
  shrinkMsPerSecond?: number;
  /** Packets held at most; beyond this the oldest is released early. Default 50. */
  maxPackets?: number;
  /** Longest stretch concealed for one lost packet, ms. Default 60. */
  maxConcealMs?: number;
}

/** What the buffer hands on, in sequence order, when it is due. */
export type JitterEvent =
  | { kind: 'packet'; rtp: Buffer; seq: number; ts: number }
  /** One lost packet: `samples` (clock-rate units) of audio to conceal starting at `ts`. */
  | { kind: 'lost'; seq: number; ts: number; samples: number };

export type PushResult = 'queued' | 'late' | 'duplicate' | 'restart';

export interface JitterBufferStats {
  pushed: number;
  released: number;
  /** Arrived after their slot was played or concealed (dropped). */
  late: number;
  duplicates: number;
  /** Packets declared lost and handed on for concealment. */
  concealedPackets: number;
  concealedMs: number;
  /** Released early because the buffer was full. */
  overflow: number;
  /** The stream restarted (SSRC change or a jump of sequence/timestamp): buffer flushed. */
  restarts: number;
  /** Target from the measured jitter (p95 of the relative transit), ms. */
  targetDelayMs: number;
  /** Playout delay in force above the fastest transit seen, ms. */
  playoutDelayMs: number;
  queued: number;
}

interface Held {
  ext: number;
  extTs: number;
  rtp: Buffer;
}

/** Sequence gaps beyond this are a restart, not loss (RFC 3550 A.1 MAX_DROPOUT spirit). */
const MAX_SEQ_JUMP = 1000;
const RELEASED_WINDOW = 256;
/**
 * Default floor of the target delay, ms. On a clean network the p95 spread of the relative
 * transit (RFC 3550 A.8's D(i,j) against the fastest packet) is ≤ 1–2 ms, so the target settles
 * at this floor; under jitter the p95 lifts it (bounded by maxDelayMs).
 */
const DEFAULT_MIN_DELAY_MS = 5;
/** Arrivals between two full recomputations of the delay estimate. */
const RECOMPUTE_EVERY = 8;

/**
 * Adaptive jitter buffer for one inbound audio RTP stream (codec-agnostic: whole RTP packets in
 * and out). Packets are held and released in sequence order at
 *   due = timestamp (ms) + offset,   offset = base transit + playout delay,
 * where the transit of a packet is arrival − timestamp (ms, RFC 3550 A.8's quantity), the base
 * is the smallest transit of the recent history (the fastest path), and the playout delay
 * follows the p95 of (transit − base), bounded [min, max]: it grows at once and shrinks by at
 * most `shrinkMsPerSecond`.
 *
 * A packet that never arrived is declared lost when its own slot is due and a later packet is
 * already held: a `lost` event of the gap's length lets the consumer conceal it. A missing tail
 * (DTX, silence suppression, hold) is never concealed. Late packets (their slot was played or
 * concealed) and duplicates are dropped and counted.
 *
 * Clock drift: the base transit is a moving minimum, so when the sender's clock runs slightly
 * fast (slow) the base slides down (up) and playout follows the sender's timestamps; the
 * buffer depth stays bounded instead of growing or draining. Consumers that play on our own
 * clock trim or stretch at their end (see CloudAudioPlayout).
 */
export class JitterBuffer {
  private readonly rate: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly shrinkPerMs: number;
  private readonly maxPackets: number;
  private readonly maxConcealSamples: number;
  private readonly history: Float64Array;
  private readonly sorted: Float64Array;
  private historySize = 0;
  private historyPos = 0;
  private sinceRecompute = 0;
  private readonly queue: Held[] = [];
  private readonly releasedRing = new Float64Array(RELEASED_WINDOW).fill(-1);
  private ssrc: number | undefined;
  private refSeqExt = 0;
  private refSeq = 0;
  private refTsExt = 0;
  private refTs = 0;
  private started = false;
  /** Next sequence to release (extended); undefined before the first release. */
  private nextExt: number | undefined;
  /** Timestamp (extended) where the last released packet ended. */
  private endTs = 0;
  /** Samples per packet, learned from consecutive packets. */
  private packetSamples: number;
  private base = Infinity;
  private targetMs: number;
  private offset: number | undefined;
  private lastAdjustMs: number | undefined;
  private readonly s = {
    pushed: 0, released: 0, late: 0, duplicates: 0, concealedPackets: 0, concealedSamples: 0, overflow: 0, restarts: 0,
  };

  constructor(opts: JitterBufferOptions) {
    this.rate = opts.clockRate;
    this.minMs = opts.minDelayMs ?? DEFAULT_MIN_DELAY_MS;
    this.maxMs = opts.maxDelayMs ?? 200;
    this.targetMs = clamp(opts.initialDelayMs ?? 20, this.minMs, this.maxMs);
    this.shrinkPerMs = (opts.shrinkMsPerSecond ?? 10) / 1000;
    this.maxPackets = opts.maxPackets ?? 50;
    this.maxConcealSamples = Math.round(((opts.maxConcealMs ?? 60) * this.rate) / 1000);
    this.history = new Float64Array(opts.historyPackets ?? 150);
    this.sorted = new Float64Array(this.history.length);
    this.packetSamples = Math.round(this.rate / 50);
  }

  /** One validated RTP packet (ownership passes in). */
  push(rtp: Buffer, arrivalMs: number): PushResult {
    const ssrc = rtpSsrc(rtp);
    const seq = rtpSequence(rtp);
    const ts = rtpTimestamp(rtp);
    let result: PushResult = 'queued';
    if (!this.started || ssrc !== this.ssrc) {
      if (this.started) result = this.restart();
      this.started = true;
      this.ssrc = ssrc;
      this.refSeq = seq;
      this.refSeqExt = seq;
      this.refTs = ts;
      this.refTsExt = ts;
    }
    let ext = this.refSeqExt + (((seq - this.refSeq) << 16) >> 16); // nearest extension, wrap-safe
    let extTs = this.refTsExt + ((ts - this.refTs) | 0);
    const ahead = this.nextExt === undefined ? 0 : ext - this.nextExt;
    if (ahead > MAX_SEQ_JUMP || ahead < -MAX_SEQ_JUMP || Math.abs(extTs - this.refTsExt) > 10 * this.rate) {
      result = this.restart();
      this.started = true;
      this.refSeq = seq;
      this.refSeqExt = ext = seq;
      this.refTs = ts;
      this.refTsExt = extTs = ts;
    }
    if (ext > this.refSeqExt) {
      this.refSeqExt = ext;
      this.refSeq = seq;
    }
    if (extTs > this.refTsExt) {
      this.refTsExt = extTs;
      this.refTs = ts;
    }
    this.s.pushed++;
    if (this.nextExt !== undefined && ext < this.nextExt) {
      if (this.releasedRing[ext % RELEASED_WINDOW] === ext) {
        this.s.duplicates++;
        return 'duplicate';
      }
      this.s.late++;
      // a late arrival is exactly what the delay estimate must learn from
      this.measure(arrivalMs - (extTs * 1000) / this.rate, arrivalMs);
      return 'late';
    }
    if (!this.insert({ ext, extTs, rtp })) {
      this.s.duplicates++;
      return 'duplicate';
    }
    this.measure(arrivalMs - (extTs * 1000) / this.rate, arrivalMs);
    return result;
  }

  /** Hand on everything due at `nowMs`, in order (call on the media tick). */
  pull(nowMs: number, sink: (ev: JitterEvent) => void): void {
    if (this.offset === undefined) return;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const overflow = this.queue.length > this.maxPackets;
      if (this.nextExt === undefined || head.ext === this.nextExt || overflow) {
        if (!overflow && nowMs < this.due(head.extTs)) return;
        if (overflow) this.s.overflow++;
        if (this.nextExt !== undefined && head.ext > this.nextExt) this.concealUpTo(head, sink);
        this.release(head, sink);
        continue;
      }
      // A gap before the head: the next missing packet is lost once its slot is due.
      if (nowMs < this.due(this.endTs)) return;
      this.concealOne(head, sink);
    }
  }

  /**
   * Hand on at once the packets that continue the stream without a gap (the next sequence
   * number, or the first packet), whatever their due time. For a consumer whose own receivers
   * run jitter buffers (the meeting's WebRTC receivers), waiting is only worth it for a gap:
   * packets held behind one stay until `pull` declares it lost or it is filled.
   */
  releaseInOrder(sink: (ev: JitterEvent) => void): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (this.nextExt !== undefined && head.ext !== this.nextExt) return;
      this.release(head, sink);
    }
  }

  /**
   * When the slot of RTP timestamp `ts` (of the current stream) is due, ms on the arrival clock;
   * undefined before the first arrival. Lets a consumer fill silence on the stream's own
   * timeline (comfort noise) exactly as packets would have been played.
   */
  dueAt(ts: number): number | undefined {
    if (this.offset === undefined || !this.started) return undefined;
    return this.due(this.refTsExt + ((ts - this.refTs) | 0));
  }

  /** Forget everything (the stream ended or was replaced). */
  reset(): void {
    this.restart();
  }

  stats(): JitterBufferStats {
    const { concealedSamples, ...rest } = this.s;
    return {
      ...rest,
      concealedMs: (concealedSamples * 1000) / this.rate,
      targetDelayMs: this.targetMs,
      playoutDelayMs: this.offset === undefined ? this.targetMs : this.offset - this.base,
      queued: this.queue.length,
    };
  }

  /** Queued packets and the time they span (tests, monitoring). */
  get queued(): number {
    return this.queue.length;
  }

  private due(extTs: number): number {
    return (extTs * 1000) / this.rate + this.offset!;
  }

  private release(head: Held, sink: (ev: JitterEvent) => void): void {
    this.queue.shift();
    const next = this.queue[0];
    if (next && next.ext === head.ext + 1 && next.extTs > head.extTs) {
      this.packetSamples = Math.min(next.extTs - head.extTs, this.maxConcealSamples);
    }
    this.nextExt = head.ext + 1;
    this.endTs = head.extTs + this.packetSamples;
    this.releasedRing[head.ext % RELEASED_WINDOW] = head.ext;
    this.s.released++;
    sink({ kind: 'packet', rtp: head.rtp, seq: head.ext & 0xffff, ts: head.extTs >>> 0 });
  }

  /** Declare the next missing packet before `head` lost. */
  private concealOne(head: Held, sink: (ev: JitterEvent) => void): void {
    const missing = head.ext - this.nextExt!;
    const span = Math.max(0, head.extTs - this.endTs);
    const per = Math.min(Math.round(span / missing), this.maxConcealSamples);
    this.s.concealedPackets++;
    this.s.concealedSamples += per;
    sink({ kind: 'lost', seq: this.nextExt! & 0xffff, ts: this.endTs >>> 0, samples: per });
    this.nextExt! += 1;
    this.endTs += per;
  }

  private concealUpTo(head: Held, sink: (ev: JitterEvent) => void): void {
    while (this.nextExt! < head.ext) this.concealOne(head, sink);
  }

  /** Sorted insert by extended sequence; false for a duplicate already held. */
  private insert(p: Held): boolean {
    const q = this.queue;
    let i = q.length;
    while (i > 0 && q[i - 1]!.ext > p.ext) i--;
    if (i > 0 && q[i - 1]!.ext === p.ext) return false;
    q.splice(i, 0, p);
    return true;
  }

  /** Update the base transit, the p95 target and the playout offset. */
  private measure(transitMs: number, nowMs: number): void {
    const h = this.history;
    h[this.historyPos] = transitMs;
    this.historyPos = (this.historyPos + 1) % h.length;
    if (this.historySize < h.length) this.historySize++;
    const n = this.historySize;
    if (transitMs < this.base) this.base = transitMs;
    // The sort (base minimum and p95 over the whole history) runs every RECOMPUTE_EVERY arrivals:
    // ~1 µs per packet instead of ~10, and a growing jitter is still seen within 160 ms.
    if (++this.sinceRecompute >= RECOMPUTE_EVERY || n < RECOMPUTE_EVERY) {
      this.sinceRecompute = 0;
      const sorted = this.sorted.subarray(0, n);
      sorted.set(h.subarray(0, n));
      sorted.sort();
      this.base = sorted[0]!;
      // Too few arrivals say nothing about the spread yet: keep the initial target.
      if (n >= 10) this.targetMs = clamp(sorted[Math.floor(0.95 * (n - 1))]! - this.base, this.minMs, this.maxMs);
    }
    const desired = this.base + this.targetMs;
    if (this.offset === undefined || desired > this.offset) {
      this.offset = desired; // grow at once: later packets must not arrive after their slot
    } else {
      const dt = nowMs - (this.lastAdjustMs ?? nowMs);
      this.offset = Math.max(desired, this.offset - dt * this.shrinkPerMs); // shrink slowly
    }
    // a faster path lowered the base: never hold more than the maximum above it
    this.offset = Math.min(this.offset, this.base + this.maxMs);
    this.lastAdjustMs = nowMs;
  }

  private restart(): PushResult {
    this.queue.length = 0;
    this.releasedRing.fill(-1);
    this.nextExt = undefined;
    this.historySize = 0;
    this.historyPos = 0;
    this.sinceRecompute = 0;
    this.base = Infinity;
    this.offset = undefined;
    this.lastAdjustMs = undefined;
    this.started = false;
    this.s.restarts++;
    return 'restart';
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

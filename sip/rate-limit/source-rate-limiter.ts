/**
 * Per-source token buckets applied before parsing, so a flood from one address (a scanner, a
 * looping peer) is dropped cheaply and cannot starve other sources' calls (issue #3 Security).
 * Each drop is counted; each limited source is logged once per `logIntervalMs`, not per packet.
 */
import type { Logger } from '../logger.ts';

export interface RateLimitOptions {
  /** Sustained messages (datagrams, stream frames, WS frames) per second per source IP. Default 1000. */
  perSourcePerSecond?: number;
  /** Bucket size: messages a source may send at once above the sustained rate. Default 2000. */
  burst?: number;
  /** Minimum ms between two log lines about the same limited source. Default 10000. */
  logIntervalMs?: number;
  /** Sources tracked at most; quiet (full) buckets are evicted first. Default 100000. */
  maxSources?: number;
}

export const DEFAULT_RATE_LIMIT = { perSourcePerSecond: 1000, burst: 2000, logIntervalMs: 10_000, maxSources: 100_000 };

interface Bucket {
  tokens: number;
  refilledAt: number;
  droppedSinceLog: number;
  loggedAt: number;
  limited: boolean;
}

export interface RateLimitStats {
  /** Messages dropped by the limiter since start. */
  dropped: number;
  /** Sources that have had a message dropped (a source forgotten and limited again counts twice). */
  limitedSources: number;
}

export class SourceRateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly logIntervalMs: number;
  private readonly maxSources: number;
  private readonly buckets = new Map<string, Bucket>();
  private limitedSources = 0;
  private dropped = 0;

  /** `now` is the injected time source in ms (STYLE 6). */
  constructor(opts: RateLimitOptions, private readonly now: () => number, private readonly logger: Logger) {
    this.rate = opts.perSourcePerSecond ?? DEFAULT_RATE_LIMIT.perSourcePerSecond;
    this.burst = opts.burst ?? DEFAULT_RATE_LIMIT.burst;
    this.logIntervalMs = opts.logIntervalMs ?? DEFAULT_RATE_LIMIT.logIntervalMs;
    this.maxSources = opts.maxSources ?? DEFAULT_RATE_LIMIT.maxSources;
    if (!(this.rate > 0) || !(this.burst >= 1)) throw new RangeError('rate limit needs perSourcePerSecond > 0 and burst >= 1');
  }

  /** Takes one token for `address`; false means drop the message unparsed. */
  admit(address: string, transport: string): boolean {
    const now = this.now();
    const bucket = this.bucketFor(address, now);
    this.refill(bucket, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.dropped++;
    if (!bucket.limited) {
      bucket.limited = true;
      this.limitedSources++; // a counter, not a set: spoofed sources must not grow memory
    }
    bucket.droppedSinceLog++;
    if (now - bucket.loggedAt >= this.logIntervalMs) {
      this.logger.warn('sip rate limit exceeded, dropping messages from source', {
        address, transport, droppedSinceLastLog: bucket.droppedSinceLog,
        perSourcePerSecond: this.rate, burst: this.burst,
      });
      bucket.droppedSinceLog = 0;
      bucket.loggedAt = now;
    }
    return false;
  }

  stats(): RateLimitStats {
    return { dropped: this.dropped, limitedSources: this.limitedSources };
  }

  private refill(b: Bucket, now: number): void {
    const elapsed = Math.max(0, now - b.refilledAt);
    b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.rate) / 1000);
    b.refilledAt = now;
  }

  private bucketFor(address: string, now: number): Bucket {
    let b = this.buckets.get(address);
    if (b) return b;
    if (this.buckets.size >= this.maxSources) this.evict(now);
    b = { tokens: this.burst, refilledAt: now, droppedSinceLog: 0, loggedAt: -Infinity, limited: false };
    this.buckets.set(address, b);
    return b;
  }

  /** Forgets sources whose bucket has refilled (they are indistinguishable from new ones), else the oldest. */
  private evict(now: number): void {
    for (const [addr, b] of this.buckets) {
      this.refill(b, now);
      if (b.tokens >= this.burst) this.buckets.delete(addr);
    }
    if (this.buckets.size < this.maxSources) return;
    const excess = this.buckets.size - Math.floor(this.maxSources * 0.9);
    let n = 0;
    for (const addr of this.buckets.keys()) {
      if (n++ >= excess) break;
      this.buckets.delete(addr);
    }
  }
}

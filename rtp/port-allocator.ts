import { PortsExhaustedError } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';

export interface PortAllocatorOptions {
  /** Lowest port of the range, inclusive. Rounded up to even. Default 20000. */
  min?: number;
  /** Highest port of the range, inclusive (the last RTCP port). Default 29999. */
  max?: number;
  logger?: Logger;
  /**
   * Bookkeeping of another allocator (its `shared` buffer) to share the pool with, e.g. from a
   * media worker thread: both hand out pairs from one set, never the same pair twice. Default: a
   * pool of its own.
   */
  shared?: SharedArrayBuffer;
  /**
   * Who holds the pairs this allocator reserves (a positive int32), recorded per pair in the
   * shared bookkeeping so the pool can take back every pair of a thread that died
   * (`releaseOwnedBy`). Default 1.
   */
  owner?: number;
}

/** Cursor and count slots ahead of the per-pair flags in the shared buffer. */
const NEXT = 0;
const COUNT = 1;
const HEADER = 2;

/**
 * Hands out RTP/RTCP port pairs from a configured range: an even RTP port and RTP+1 for RTCP
 * (RFC 3550 11: RTP on an even port, RTCP on the next higher odd port). Round-robin so a port
 * just released is not reused at once (late packets of the old call). Bookkeeping only: the
 * caller binds, and `allocate` skips ports the OS refuses (EADDRINUSE, EACCES).
 *
 * The bookkeeping lives in a SharedArrayBuffer updated with atomics, so allocators in several
 * threads (`shared` option) draw from one pool: the media worker threads bind their calls' ports
 * while the control thread sees the true count in use.
 */
export class PortAllocator {
  readonly min: number;
  readonly max: number;
  /** The pool's bookkeeping, to hand to an allocator in another thread (`shared` option). */
  readonly shared: SharedArrayBuffer;
  /** [next index, pairs held, holder per pair (0 = free, else the reserving allocator's owner)]. */
  private readonly state: Int32Array;
  private readonly owner: number;
  private readonly logger: Logger;

  constructor(opts: PortAllocatorOptions = {}) {
    const min = opts.min ?? 20000;
    const max = opts.max ?? 29999;
    this.min = min % 2 === 0 ? min : min + 1;
    this.max = max;
    if (this.min < 1024 || this.max > 65535 || this.max < this.min + 1) {
      throw new RangeError(`PortAllocator: bad range ${min}-${max}`);
    }
    const slots = HEADER + this.capacity;
    if (opts.shared && opts.shared.byteLength !== slots * 4) {
      throw new RangeError(`PortAllocator: shared pool does not match the range ${min}-${max}`);
    }
    this.shared = opts.shared ?? new SharedArrayBuffer(slots * 4);
    this.state = new Int32Array(this.shared);
    this.logger = opts.logger ?? silentLogger;
    this.owner = opts.owner ?? 1;
    if (!Number.isInteger(this.owner) || this.owner < 1 || this.owner > 0x7fffffff) throw new RangeError(`PortAllocator: bad owner ${opts.owner}`);
  }

  /** Pairs the range holds. */
  get capacity(): number {
    return Math.floor((this.max - this.min + 1) / 2);
  }

  /** Pairs currently held (by every allocator sharing the pool). */
  get inUse(): number {
    return Atomics.load(this.state, COUNT);
  }

  /** Reserve the next free even RTP port (RTCP = port+1) without binding; undefined if none. */
  reserve(): number | undefined {
    const cap = this.capacity;
    for (let i = 0; i < cap; i++) {
      const index = (Atomics.add(this.state, NEXT, 1) >>> 0) % cap; // >>> 0: the cursor may wrap past 2^31
      if (Atomics.compareExchange(this.state, HEADER + index, 0, this.owner) === 0) {
        Atomics.add(this.state, COUNT, 1);
        return this.min + 2 * index;
      }
    }
    return undefined;
  }

  /** Give a pair back. Releasing a port not held (by this owner) is a no-op (idempotent close paths). */
  release(rtpPort: number): void {
    const index = this.indexOf(rtpPort);
    // only a pair this allocator's owner holds: one taken back and handed to another owner stays theirs
    if (index !== undefined && Atomics.compareExchange(this.state, HEADER + index, this.owner, 0) === this.owner) {
      Atomics.sub(this.state, COUNT, 1);
    }
  }

  /**
   * Take back every pair `owner` holds (a thread that died without closing its calls; its
   * sockets closed with it). Only that owner's pairs: others keep theirs. Returns how many.
   */
  releaseOwnedBy(owner: number): number {
    let released = 0;
    for (let i = 0; i < this.capacity; i++) {
      if (Atomics.compareExchange(this.state, HEADER + i, owner, 0) === owner) {
        Atomics.sub(this.state, COUNT, 1);
        released++;
      }
    }
    return released;
  }

  isHeld(rtpPort: number): boolean {
    const index = this.indexOf(rtpPort);
    return index !== undefined && Atomics.load(this.state, HEADER + index) !== 0;
  }

  private indexOf(rtpPort: number): number | undefined {
    const offset = rtpPort - this.min;
    if (offset < 0 || offset % 2 !== 0 || offset / 2 >= this.capacity) return undefined;
    return offset / 2;
  }

  /**
   * Reserve a pair and bind it with `bind`; when the OS refuses a port (bind rejects), keep
   * the refused pair out of circulation for this attempt and try the next, up to `maxAttempts`.
   */
  async allocate<T>(bind: (rtpPort: number) => Promise<T>, maxAttempts = 16): Promise<{ port: number; value: T }> {
    const refused: number[] = [];
    let lastError: unknown;
    try {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const port = this.reserve();
        if (port === undefined) break;
        try {
          const value = await bind(port);
          return { port, value };
        } catch (err) {
          lastError = err;
          refused.push(port);
          this.logger.debug('rtp port refused by the OS, skipping', { port, error: String(err) });
        }
      }
    } finally {
      for (const port of refused) this.release(port);
    }
    throw new PortsExhaustedError(
      `no bindable port pair in ${this.min}-${this.max} (in use ${this.inUse}, refused ${refused.length})`,
      { cause: lastError },
    );
  }
}

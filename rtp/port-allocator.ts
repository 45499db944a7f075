import { PortsExhaustedError } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';

export interface PortAllocatorOptions {
  /** Lowest port of the range, inclusive. Rounded up to even. Default 20000. */
  min?: number;
  /** Highest port of the range, inclusive (the last RTCP port). Default 29999. */
  max?: number;
  logger?: Logger;
}

/**
 * Hands out RTP/RTCP port pairs from a configured range: an even RTP port and RTP+1 for RTCP
 * (RFC 3550 11: RTP on an even port, RTCP on the next higher odd port). Round-robin so a port
 * just released is not reused at once (late packets of the old call). Bookkeeping only: the
 * caller binds, and `allocate` skips ports the OS refuses (EADDRINUSE, EACCES).
 */
export class PortAllocator {
  readonly min: number;
  readonly max: number;
  private readonly held = new Set<number>();
  private next: number;
  private readonly logger: Logger;

  constructor(opts: PortAllocatorOptions = {}) {
    const min = opts.min ?? 20000;
    const max = opts.max ?? 29999;
    this.min = min % 2 === 0 ? min : min + 1;
    this.max = max;
    if (this.min < 1024 || this.max > 65535 || this.max < this.min + 1) {
      throw new RangeError(`PortAllocator: bad range ${min}-${max}`);
    }
    this.next = this.min;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Pairs the range holds. */
  get capacity(): number {
    return Math.floor((this.max - this.min + 1) / 2);
  }

  /** Pairs currently held. */
  get inUse(): number {
    return this.held.size;
  }

  /** Reserve the next free even RTP port (RTCP = port+1) without binding; undefined if none. */
  reserve(): number | undefined {
    const cap = this.capacity;
    for (let i = 0; i < cap; i++) {
      const port = this.next;
      this.next = port + 2 > this.max - 1 ? this.min : port + 2;
      if (!this.held.has(port)) {
        this.held.add(port);
        return port;
      }
    }
    return undefined;
  }

  /** Give a pair back. Releasing a port not held is a no-op (idempotent close paths). */
  release(rtpPort: number): void {
    this.held.delete(rtpPort);
  }

  isHeld(rtpPort: number): boolean {
    return this.held.has(rtpPort);
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

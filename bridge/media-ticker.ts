/**
 * A 20 ms media clock shared by the calls of one thread. Drift-corrected: each tick is
 * scheduled at start + n·period on the `performance.now()` timeline (not a chain of
 * setInterval delays that accumulate lateness). After a stall longer than `maxCatchUpTicks`
 * periods the schedule is re-anchored rather than firing a burst.
 */
export type TickListener = (nowMs: number) => void;

/**
 * Order of listeners within one tick: every `playout` listener (the calls' jitter buffers, which
 * hand on what is due) runs before every `mix` listener (the meetings' shared mixes), so a packet
 * released at a tick is mixed and sent at that same tick instead of waiting a whole period.
 */
export type TickPhase = 'playout' | 'mix';

/** Anything that calls listeners every 20 ms (tests drive one by hand). */
export interface TickSource {
  /** `phase`: default 'playout'. */
  subscribe(fn: TickListener, phase?: TickPhase): () => void;
}

export interface MediaTickerOptions {
  periodMs?: number;
  maxCatchUpTicks?: number;
  now?: () => number;
}

export class MediaTicker implements TickSource {
  readonly periodMs: number;
  private readonly maxCatchUp: number;
  private readonly now: () => number;
  private readonly listeners = new Set<TickListener>();
  private readonly mixListeners = new Set<TickListener>();
  private timer: NodeJS.Timeout | undefined;
  private anchor = 0;
  private ticks = 0;
  /** Ticks skipped because the event loop stalled (monitoring). */
  skippedTicks = 0;

  constructor(opts: MediaTickerOptions = {}) {
    this.periodMs = opts.periodMs ?? 20;
    this.maxCatchUp = opts.maxCatchUpTicks ?? 5;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Subscribe; returns the unsubscribe function. The clock runs while anyone listens. */
  subscribe(fn: TickListener, phase: TickPhase = 'playout'): () => void {
    const set = phase === 'mix' ? this.mixListeners : this.listeners;
    set.add(fn);
    if (!this.timer) {
      this.anchor = this.now();
      this.ticks = 0;
      this.schedule();
    }
    return () => {
      set.delete(fn);
      if (this.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  private get size(): number {
    return this.listeners.size + this.mixListeners.size;
  }

  private schedule(): void {
    const due = this.anchor + (this.ticks + 1) * this.periodMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - this.now()));
  }

  private fire(): void {
    const now = this.now();
    let late = Math.floor((now - this.anchor) / this.periodMs) - this.ticks;
    if (late > this.maxCatchUp) {
      // stalled: re-anchor instead of bursting
      this.skippedTicks += late - 1;
      this.anchor = now - this.periodMs;
      this.ticks = 0;
      late = 1;
    }
    for (let i = 0; i < Math.max(1, late); i++) {
      this.ticks++;
      callAll(this.listeners, now);
      callAll(this.mixListeners, now);
    }
    if (this.size > 0) this.schedule();
    else this.timer = undefined;
  }
}

function callAll(listeners: Set<TickListener>, now: number): void {
  for (const fn of listeners) {
    try {
      fn(now);
    } catch {
      // a listener's failure must not stop the clock of other calls; listeners log their own
    }
  }
}

let shared: MediaTicker | undefined;
/** The thread's shared 20 ms ticker. */
export function sharedMediaTicker(): MediaTicker {
  shared ??= new MediaTicker();
  return shared;
}

/** Injected time source so protocol cores never call setTimeout directly (STYLE 6). */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** The real clock; every handle is tracked so `cancelAll()` leaves no timer behind. */
export class SystemClock implements Clock {
  private readonly live = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = setTimeout(() => {
      this.live.delete(t);
      fn();
    }, ms);
    this.live.add(t);
    return { cancel: () => { clearTimeout(t); this.live.delete(t); } };
  }

  get pending(): number {
    return this.live.size;
  }

  cancelAll(): void {
    for (const t of this.live) clearTimeout(t);
    this.live.clear();
  }
}

/** A clock that only moves when told to: for unit tests of timer behaviour. */
export class ManualClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, fn });
    return { cancel: () => void this.timers.delete(id) };
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Advances time by `ms`, firing due timers in order (timers set while firing are honoured). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= target && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.time = t.at;
      t.fn();
    }
    this.time = target;
  }
}

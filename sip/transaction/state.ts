/** A checked state machine: illegal transitions are programming errors and throw (STYLE 5). */
export class StateMachine<S extends string> {
  constructor(private current: S, private readonly allowed: Record<S, readonly S[]>) {}

  get state(): S {
    return this.current;
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  to(next: S): void {
    if (!this.allowed[this.current].includes(next)) {
      throw new Error(`illegal transaction transition ${this.current} -> ${next}`);
    }
    this.current = next;
  }
}

/** Named timers of one transaction; all cancelled on termination. */
export class TimerSet {
  private readonly handles = new Map<string, { cancel(): void }>();

  constructor(private readonly clock: { setTimer(ms: number, fn: () => void): { cancel(): void } }) {}

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const h = this.clock.setTimer(ms, () => {
      this.handles.delete(name);
      fn();
    });
    this.handles.set(name, h);
  }

  stop(name: string): void {
    this.handles.get(name)?.cancel();
    this.handles.delete(name);
  }

  stopAll(): void {
    for (const h of this.handles.values()) h.cancel();
    this.handles.clear();
  }
}

/**
 * Spaces keyframe requests at least `minIntervalMs` apart. A request inside the window is not
 * lost: one deferred request fires at the end of the window.
 */
export class KeyframeLimiter {
  private lastMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Requests actually sent. */
  sent = 0;
  /** Requests merged into a pending one. */
  coalesced = 0;

  constructor(
    private readonly minIntervalMs: number,
    private readonly send: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  request(): void {
    if (this.closed) return;
    const now = this.now();
    const wait = this.lastMs + this.minIntervalMs - now;
    if (wait <= 0) {
      this.fire(now);
      return;
    }
    this.coalesced++;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.fire(this.now());
      }, wait);
    }
  }

  private fire(now: number): void {
    this.lastMs = now;
    this.sent++;
    this.send();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

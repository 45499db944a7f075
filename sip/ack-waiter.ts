/** UAS 2xx retransmission until ACK (RFC 3261 13.3.1.4). */
import type { Clock, TimerHandle } from './clock.ts';
import type { TimerValues } from './transaction/types.ts';

export class AckWaiter {
  private retransmit?: TimerHandle;
  private giveUp?: TimerHandle;
  private done = false;

  /**
   * `send` retransmits the 2xx; `onTimeout` runs if no ACK arrives within 64*T1.
   * RFC 3261 13.3.1.4: interval starts at T1 and doubles up to T2. The 2xx is end-to-end, so it
   * is retransmitted whatever the first hop's transport.
   */
  constructor(private readonly clock: Clock, private readonly timers: TimerValues,
    private readonly send: () => void, private readonly onTimeout: () => void) {
    this.arm(timers.t1);
    this.giveUp = clock.setTimer(64 * timers.t1, () => {
      if (this.done) return;
      this.stop();
      onTimeout();
    });
  }

  private arm(interval: number): void {
    this.retransmit = this.clock.setTimer(interval, () => {
      if (this.done) return;
      this.send();
      this.arm(Math.min(interval * 2, this.timers.t2));
    });
  }

  get pending(): boolean {
    return !this.done;
  }

  stop(): void {
    this.done = true;
    this.retransmit?.cancel();
    this.giveUp?.cancel();
  }
}

/** Non-INVITE client transaction (RFC 3261 17.1.2). */
import type { SipRequest, SipResponse } from '../message.ts';
import { StateMachine, TimerSet } from './state.ts';
import type { ClientTransaction, ClientTransactionUser, TransactionContext } from './types.ts';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS: Record<State, readonly State[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteClientTransaction implements ClientTransaction {
  private readonly sm = new StateMachine<State>('trying', TRANSITIONS);
  private readonly timers: TimerSet;

  constructor(
    readonly request: SipRequest,
    readonly key: string,
    private readonly ctx: TransactionContext,
    private readonly user: ClientTransactionUser,
  ) {
    this.timers = new TimerSet(ctx.clock);
  }

  get state(): State {
    return this.sm.state;
  }

  start(): void {
    const { t1 } = this.ctx.timers;
    this.ctx.send(this.request);
    if (!this.ctx.reliable) this.armTimerE(t1);
    this.timers.start('F', 64 * t1, () => this.onTimerF());
  }

  /** RFC 3261 17.1.2.2: E doubles up to T2 in Trying, and is T2 in Proceeding. */
  private armTimerE(interval: number): void {
    this.timers.start('E', interval, () => {
      if (!this.sm.is('trying', 'proceeding')) return;
      this.ctx.send(this.request);
      const t2 = this.ctx.timers.t2;
      this.armTimerE(this.sm.is('proceeding') ? t2 : Math.min(interval * 2, t2));
    });
  }

  private onTimerF(): void {
    if (!this.sm.is('trying', 'proceeding')) return;
    this.user.onTimeout();
    this.terminate();
  }

  receive(res: SipResponse): void {
    if (!this.sm.is('trying', 'proceeding')) return; // Completed absorbs retransmissions
    if (res.status < 200) {
      if (this.sm.is('trying')) this.sm.to('proceeding');
      this.user.onResponse(res);
      return;
    }
    this.timers.stop('E');
    this.timers.stop('F');
    this.sm.to('completed');
    this.user.onResponse(res);
    // RFC 3261 17.1.2.2: Timer K = T4 unreliable, zero reliable.
    this.timers.start('K', this.ctx.reliable ? 0 : this.ctx.timers.t4, () => this.terminate());
  }

  transportError(err: Error): void {
    if (this.sm.is('terminated')) return;
    if (this.sm.is('trying', 'proceeding')) this.user.onTransportError(err);
    this.terminate();
  }

  terminate(): void {
    if (this.sm.is('terminated')) return;
    this.timers.stopAll();
    this.sm.to('terminated');
    this.ctx.onTerminated();
  }
}

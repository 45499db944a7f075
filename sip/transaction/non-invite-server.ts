/** Non-INVITE server transaction (RFC 3261 17.2.2). */
import type { SipRequest, SipResponse } from '../message.ts';
import { StateMachine, TimerSet } from './state.ts';
import type { ServerTransaction, ServerTransactionUser, TransactionContext } from './types.ts';

type State = 'trying' | 'proceeding' | 'completed' | 'terminated';

const TRANSITIONS: Record<State, readonly State[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteServerTransaction implements ServerTransaction {
  private readonly sm = new StateMachine<State>('trying', TRANSITIONS);
  private readonly timers: TimerSet;
  private lastResponse?: SipResponse;
  user: ServerTransactionUser = {};

  constructor(readonly request: SipRequest, readonly key: string, private readonly ctx: TransactionContext) {
    this.timers = new TimerSet(ctx.clock);
  }

  get state(): State {
    return this.sm.state;
  }

  /** RFC 3261 17.2.2: retransmissions are absorbed in Trying, answered in Proceeding/Completed. */
  receive(_req: SipRequest): void {
    if (this.sm.is('proceeding', 'completed') && this.lastResponse) this.ctx.send(this.lastResponse);
  }

  respond(res: SipResponse): void {
    if (!this.sm.is('trying', 'proceeding')) return;
    this.lastResponse = res;
    this.ctx.send(res);
    if (res.status < 200) {
      if (this.sm.is('trying')) this.sm.to('proceeding');
      return;
    }
    this.sm.to('completed');
    // RFC 3261 17.2.2: Timer J = 64*T1 unreliable, zero reliable.
    this.timers.start('J', this.ctx.reliable ? 0 : 64 * this.ctx.timers.t1, () => this.terminate());
  }

  transportError(err: Error): void {
    if (this.sm.is('terminated')) return;
    this.user.onTransportError?.(err);
    this.terminate();
  }

  terminate(): void {
    if (this.sm.is('terminated')) return;
    this.timers.stopAll();
    this.sm.to('terminated');
    this.ctx.onTerminated();
  }
}

/** INVITE server transaction (RFC 3261 17.2.1, with the Accepted state of RFC 6026 7.1). */
import type { SipRequest, SipResponse } from '../message.ts';
import { StateMachine, TimerSet } from './state.ts';
import type { ServerTransaction, ServerTransactionUser, TransactionContext } from './types.ts';

type State = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

const TRANSITIONS: Record<State, readonly State[]> = {
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  terminated: [],
};

export class InviteServerTransaction implements ServerTransaction {
  private readonly sm = new StateMachine<State>('proceeding', TRANSITIONS);
  private readonly timers: TimerSet;
  private lastResponse?: SipResponse;
  user: ServerTransactionUser = {};

  constructor(readonly request: SipRequest, readonly key: string, private readonly ctx: TransactionContext) {
    this.timers = new TimerSet(ctx.clock);
  }

  get state(): State {
    return this.sm.state;
  }

  receive(req: SipRequest): void {
    if (req.method === 'ACK') return this.receiveAck(req);
    // RFC 3261 17.2.1: a retransmitted INVITE gets the last provisional (Proceeding) or the
    // final response again (Completed); RFC 6026 7.1: absorbed silently in Accepted.
    if (this.sm.is('proceeding', 'completed') && this.lastResponse) this.ctx.send(this.lastResponse);
  }

  private receiveAck(ack: SipRequest): void {
    if (this.sm.is('completed')) {
      this.timers.stop('G');
      this.timers.stop('H');
      this.sm.to('confirmed');
      // RFC 3261 17.2.1: Timer I = T4 unreliable, zero reliable.
      this.timers.start('I', this.ctx.reliable ? 0 : this.ctx.timers.t4, () => this.terminate());
    } else if (this.sm.is('accepted')) {
      this.user.onAck?.(ack);
    }
  }

  respond(res: SipResponse): void {
    const s = res.status;
    if (this.sm.is('proceeding')) {
      this.lastResponse = res;
      this.ctx.send(res);
      if (s < 200) return;
      const t1 = this.ctx.timers.t1;
      if (s < 300) {
        this.sm.to('accepted');
        // RFC 6026 7.1: Timer L = 64*T1 keeps absorbing INVITE retransmissions.
        this.timers.start('L', 64 * t1, () => this.terminate());
      } else {
        this.sm.to('completed');
        if (!this.ctx.reliable) this.armTimerG(t1);
        this.timers.start('H', 64 * t1, () => this.onTimerH());
      }
    } else if (this.sm.is('accepted') && s >= 200 && s < 300) {
      this.ctx.send(res); // RFC 6026 7.1: 2xx retransmissions from the TU pass through
    }
  }

  /** RFC 3261 17.2.1: G starts at T1 and doubles up to T2. */
  private armTimerG(interval: number): void {
    this.timers.start('G', interval, () => {
      if (!this.sm.is('completed') || !this.lastResponse) return;
      this.ctx.send(this.lastResponse);
      this.armTimerG(Math.min(interval * 2, this.ctx.timers.t2));
    });
  }

  private onTimerH(): void {
    if (!this.sm.is('completed')) return;
    this.user.onTimeout?.();
    this.terminate();
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

/** INVITE client transaction (RFC 3261 17.1.1, with the Accepted state of RFC 6026 7.2). */
import { SipRequest, type SipResponse } from '../message.ts';
import { StateMachine, TimerSet } from './state.ts';
import type { ClientTransaction, ClientTransactionUser, TransactionContext } from './types.ts';

type State = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

const TRANSITIONS: Record<State, readonly State[]> = {
  calling: ['proceeding', 'accepted', 'completed', 'terminated'],
  proceeding: ['accepted', 'completed', 'terminated'],
  accepted: ['terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class InviteClientTransaction implements ClientTransaction {
  private readonly sm = new StateMachine<State>('calling', TRANSITIONS);
  private readonly timers: TimerSet;
  private ack?: SipRequest;

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
    // RFC 3261 17.1.1.2: Timer A only for unreliable transports, starting at T1.
    if (!this.ctx.reliable) this.armTimerA(t1);
    this.timers.start('B', 64 * t1, () => this.onTimerB());
  }

  private armTimerA(interval: number): void {
    this.timers.start('A', interval, () => {
      if (!this.sm.is('calling')) return;
      this.ctx.send(this.request);
      this.armTimerA(interval * 2); // RFC 3261 17.1.1.2: doubles each time
    });
  }

  private onTimerB(): void {
    if (!this.sm.is('calling')) return;
    this.user.onTimeout();
    this.terminate();
  }

  receive(res: SipResponse): void {
    const s = res.status;
    if (this.sm.is('calling', 'proceeding')) {
      this.timers.stop('A');
      if (s < 200) {
        if (this.sm.is('calling')) this.sm.to('proceeding');
        this.timers.stop('B');
        this.user.onResponse(res);
      } else if (s < 300) {
        // RFC 6026 7.2: 2xx moves to Accepted; Timer M absorbs 2xx retransmissions for the TU.
        this.timers.stop('B');
        this.sm.to('accepted');
        this.timers.start('M', 64 * this.ctx.timers.t1, () => this.terminate());
        this.user.onResponse(res);
      } else {
        this.timers.stop('B');
        this.sm.to('completed');
        this.sendAck(res);
        this.user.onResponse(res);
        // RFC 3261 17.1.1.2: Timer D, at least 32 s unreliable, zero reliable.
        const d = this.ctx.reliable ? 0 : this.ctx.timers.td;
        this.timers.start('D', d, () => this.terminate());
      }
    } else if (this.sm.is('accepted')) {
      if (s >= 200 && s < 300) this.user.onResponse(res); // RFC 6026 7.2: passed up, TU re-ACKs
    } else if (this.sm.is('completed')) {
      if (s >= 300) this.sendAck(res); // RFC 3261 17.1.1.2: retransmitted final → ACK again
    }
  }

  /** RFC 3261 17.1.1.3: ACK for a non-2xx final response, built from the INVITE. */
  private sendAck(res: SipResponse): void {
    if (!this.ack) {
      const inv = this.request;
      const ack = new SipRequest('ACK', inv.uri);
      ack.headers.append('Via', inv.headers.getAll('via')[0]);
      for (const r of inv.headers.getAll('route')) ack.headers.append('Route', r);
      ack.headers.append('Max-Forwards', '70');
      ack.headers.append('From', inv.headers.get('from') ?? '');
      ack.headers.append('To', res.headers.get('to') ?? '');
      ack.headers.append('Call-ID', inv.callId);
      ack.headers.append('CSeq', `${inv.cseq.seq} ACK`);
      this.ack = ack;
    }
    this.ctx.send(this.ack);
  }

  transportError(err: Error): void {
    if (this.sm.is('terminated')) return;
    // RFC 3261 17.1.1.2: a transport error in Calling informs the TU and terminates.
    if (this.sm.is('calling', 'proceeding')) this.user.onTransportError(err);
    this.terminate();
  }

  terminate(): void {
    if (this.sm.is('terminated')) return;
    this.timers.stopAll();
    this.sm.to('terminated');
    this.ctx.onTerminated();
  }
}

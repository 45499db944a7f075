// Master/slave determination signalling entity, MSDSE (H.245 8.2, SDL in C.2).
// States IDLE, OUTGOING AWAITING RESPONSE, INCOMING AWAITING RESPONSE; timer T106; counter N100.
import {
  masterSlaveDetermination, masterSlaveDeterminationAck, masterSlaveDeterminationReject, masterSlaveDeterminationRelease,
  type H245Message,
} from '../asn1/index.ts';
import type { Clock, TimerHandle } from './clock.ts';

export type MsdStatus = 'master' | 'slave';
type MsdState = 'idle' | 'outgoing' | 'incoming';

export interface MsdCallbacks {
  send(msg: H245Message): void;
  determined(status: MsdStatus): void;
  failed(reason: string): void;
}

const opposite = (s: MsdStatus): MsdStatus => (s === 'master' ? 'slave' : 'master');

export class MasterSlaveDetermination {
  private state: MsdState = 'idle';
  private status: MsdStatus | 'indeterminate' = 'indeterminate';
  private sdn: number;
  private count = 0;
  private t106: TimerHandle | undefined;

  constructor(
    private readonly terminalType: number,
    private readonly opts: { clock: Clock; t106: number; n100: number; random: () => number },
    private readonly cb: MsdCallbacks,
  ) {
    this.sdn = this.newNumber();
  }

  get result(): MsdStatus | undefined {
    return this.status === 'indeterminate' ? undefined : this.status;
  }

  get timerRunning(): boolean {
    return this.t106 !== undefined;
  }

  get statusDeterminationNumber(): number {
    return this.sdn;
  }

  /** DETERMINE.request (C.2.2): only from IDLE. */
  start(): void {
    if (this.state !== 'idle') return;
    this.count = 1;
    this.sendDetermination();
  }

  /** Incoming MasterSlaveDetermination. */
  onDetermination(terminalType: number, number: number): void {
    const decision = this.determine(terminalType, number);
    switch (this.state) {
      case 'idle':
        if (decision === 'indeterminate') {
          this.cb.send(masterSlaveDeterminationReject());
          return;
        }
        this.status = decision;
        this.acknowledgeIncoming();
        return;
      case 'outgoing':
        // both sides started at once (C.2: MSD received while awaiting the response)
        this.stopTimer();
        if (decision === 'indeterminate') {
          this.retryOrFail('indeterminate result after simultaneous determination');
          return;
        }
        this.status = decision;
        this.acknowledgeIncoming();
        return;
      case 'incoming':
        this.fail('MasterSlaveDetermination received while awaiting its acknowledgement', false);
        return;
    }
  }

  /** Incoming MasterSlaveDeterminationAck; `decision` is the status of the terminal receiving it (B.1.2). */
  onAck(decision: MsdStatus): void {
    switch (this.state) {
      case 'idle':
        return; // nothing outstanding: ignored
      case 'outgoing':
        this.stopTimer();
        this.status = decision;
        this.state = 'idle';
        this.cb.send(masterSlaveDeterminationAck(opposite(decision)));
        this.cb.determined(decision);
        return;
      case 'incoming':
        this.stopTimer();
        this.state = 'idle';
        if (decision !== this.status) {
          this.status = 'indeterminate';
          this.cb.failed(`inconsistent MasterSlaveDeterminationAck (${decision})`);
          return;
        }
        this.cb.determined(decision);
        return;
    }
  }

  onReject(): void {
    if (this.state === 'outgoing') {
      this.stopTimer();
      this.retryOrFail('peer rejected: identical numbers');
    } else if (this.state === 'incoming') {
      this.fail('MasterSlaveDeterminationReject received while awaiting an acknowledgement', false);
    }
  }

  onRelease(): void {
    if (this.state !== 'idle') this.fail('peer released the determination (its T106 expired)', false);
  }

  stop(): void {
    this.stopTimer();
    this.state = 'idle';
  }

  private determine(terminalType: number, number: number): MsdStatus | 'indeterminate' {
    // H.245 8.2: the larger terminalType is master; equal types compare the random numbers
    if (terminalType < this.terminalType) return 'master';
    if (terminalType > this.terminalType) return 'slave';
    const diff = (number - this.sdn + 0x1000000) % 0x1000000; // modulo 2^24 (C.2, Figure C.4)
    if (diff === 0 || diff === 0x800000) return 'indeterminate';
    return diff < 0x800000 ? 'master' : 'slave';
  }

  private acknowledgeIncoming(): void {
    this.cb.send(masterSlaveDeterminationAck(opposite(this.status as MsdStatus)));
    this.state = 'incoming';
    this.startTimer();
  }

  private sendDetermination(): void {
    this.cb.send(masterSlaveDetermination(this.terminalType, this.sdn));
    this.state = 'outgoing';
    this.startTimer();
  }

  private retryOrFail(why: string): void {
    if (this.count < this.opts.n100) {
      // N100 (C.2): a new random number and another try
      this.count++;
      this.sdn = this.newNumber();
      this.sendDetermination();
    } else {
      this.state = 'idle';
      this.status = 'indeterminate';
      this.cb.failed(`${why}; N100 (${this.opts.n100}) attempts used`);
    }
  }

  private fail(reason: string, sendRelease: boolean): void {
    this.stopTimer();
    this.state = 'idle';
    this.status = 'indeterminate';
    if (sendRelease) this.cb.send(masterSlaveDeterminationRelease());
    this.cb.failed(reason);
  }

  private startTimer(): void {
    this.stopTimer();
    this.t106 = this.opts.clock.setTimer(this.opts.t106, () => {
      this.t106 = undefined;
      this.fail('T106 expired', true);
    });
  }

  private stopTimer(): void {
    this.t106?.cancel();
    this.t106 = undefined;
  }

  private newNumber(): number {
    return Math.floor(this.opts.random() * 0x1000000) & 0xffffff;
  }
}

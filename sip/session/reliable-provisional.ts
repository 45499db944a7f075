/** Reliable provisional responses, UAS side (RFC 3262 3). */
import { randomInt } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.ts';
import type { SipResponse } from '../message.ts';
import type { TimerValues } from '../transaction/types.ts';

export interface RAck {
  rseq: number;
  cseq: number;
  method: string;
}

/** RFC 3262 7.2: `RAck: response-num CSeq-num Method`. */
export function parseRAck(value: string | undefined): RAck | undefined {
  const m = /^\s*(\d{1,10})\s+(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(value ?? '');
  return m ? { rseq: Number(m[1]), cseq: Number(m[2]), method: m[3].toUpperCase() } : undefined;
}

/** Whether the request lists `100rel` in Require (RFC 3262 3) or Supported. */
export function lists100rel(req: { headers: { getAll(n: string): string[] } }, header: 'require' | 'supported'): boolean {
  return req.headers.getAll(header).some((o) => o.trim().toLowerCase() === '100rel');
}

interface Outstanding {
  res: SipResponse;
  rseq: number;
  retransmit?: TimerHandle;
  giveUp: TimerHandle;
}

/**
 * Sends provisional responses reliably: RSeq numbered, one outstanding at a time (RFC 3262 3:
 * "MUST NOT send a second reliable provisional response until the first is acknowledged"),
 * retransmitted at T1, 2·T1, ... until the PRACK, giving up after 64·T1.
 */
export class ReliableProvisionals {
  private rseq = randomInt(1, 2 ** 31 - 1); // RFC 3262 3: initial value 1 .. 2**31 - 1
  private outstanding?: Outstanding;
  private readonly queue: SipResponse[] = [];
  private stopped = false;

  constructor(private readonly clock: Clock, private readonly timers: TimerValues, private readonly cseq: number,
    private readonly transmit: (res: SipResponse) => void, private readonly onTimeout: () => void) {}

  get pending(): boolean {
    return this.outstanding !== undefined;
  }

  send(res: SipResponse): void {
    if (this.stopped) return;
    if (this.outstanding) { this.queue.push(res); return; }
    const rseq = this.rseq++;
    res.headers.set('Require', '100rel');
    res.headers.set('RSeq', String(rseq));
    const entry: Outstanding = {
      res, rseq,
      giveUp: this.clock.setTimer(64 * this.timers.t1, () => { this.stop(); this.onTimeout(); }),
    };
    this.outstanding = entry;
    this.transmit(res);
    this.arm(this.timers.t1);
  }

  private arm(interval: number): void {
    const o = this.outstanding;
    if (!o) return;
    o.retransmit = this.clock.setTimer(interval, () => {
      if (this.outstanding !== o) return;
      this.transmit(o.res);
      this.arm(interval * 2); // RFC 3262 3: doubles each time
    });
  }

  /** RFC 3262 3: a PRACK whose RAck matches the outstanding response acknowledges it. */
  acknowledge(rack: RAck): boolean {
    const o = this.outstanding;
    if (!o || rack.rseq !== o.rseq || rack.cseq !== this.cseq || rack.method !== 'INVITE') return false;
    o.retransmit?.cancel();
    o.giveUp.cancel();
    this.outstanding = undefined;
    const next = this.queue.shift();
    if (next) this.send(next);
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.outstanding?.retransmit?.cancel();
    this.outstanding?.giveUp.cancel();
    this.outstanding = undefined;
    this.queue.length = 0;
  }
}

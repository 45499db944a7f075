/** Session timers (RFC 4028): header negotiation and the refresh/expiry clock of one dialog. */
import type { Clock, TimerHandle } from '../clock.ts';
import type { SipMessage } from '../message.ts';

export type Refresher = 'uac' | 'uas';

/** RFC 4028 4: the minimum Session-Expires is 90 s; the recommended default is 1800 s. */
export const RFC_MIN_SE = 90;
export const DEFAULT_SESSION_EXPIRES = 1800;

export interface SessionExpires {
  seconds: number;
  refresher?: Refresher;
}

/** RFC 4028 4: `Session-Expires: delta-seconds *(;se-params)`; undefined when absent or bad. */
export function parseSessionExpires(msg: SipMessage): SessionExpires | undefined {
  const raw = msg.headers.get('session-expires') ?? msg.headers.get('x');
  if (raw === undefined) return undefined;
  const [delta, ...params] = raw.split(';').map((p) => p.trim());
  if (!/^\d{1,9}$/.test(delta)) return undefined;
  const out: SessionExpires = { seconds: Number(delta) };
  for (const p of params) {
    const [k, v] = p.split('=').map((x) => x.trim().toLowerCase());
    if (k === 'refresher' && (v === 'uac' || v === 'uas')) out.refresher = v;
  }
  return out;
}

/** RFC 4028 5: `Min-SE: delta-seconds`. */
export function parseMinSe(msg: SipMessage): number | undefined {
  const raw = msg.headers.get('min-se')?.split(';')[0].trim();
  return raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : undefined;
}

export function supportsTimer(msg: SipMessage): boolean {
  return [...msg.headers.getAll('supported'), ...msg.headers.getAll('require')]
    .some((o) => o.trim().toLowerCase() === 'timer');
}

export type UasDecision =
  | { kind: 'none' }
  | { kind: 'too-small'; minSe: number }
  | { kind: 'use'; seconds: number; refresher: Refresher; uacSupports: boolean };

/**
 * RFC 4028 8 and 9: the UAS's decision on a (re-)INVITE or UPDATE. Below our Min-SE → 422; the
 * refresher is the UAC's choice if it made one, else the UAC when it supports timers (9), else us.
 */
export function decideAsUas(req: SipMessage, ourMinSe: number): UasDecision {
  const se = parseSessionExpires(req);
  if (!se) return { kind: 'none' };
  const minSe = Math.max(ourMinSe, parseMinSe(req) ?? 0);
  if (se.seconds < ourMinSe) return { kind: 'too-small', minSe };
  const uacSupports = supportsTimer(req);
  const refresher: Refresher = se.refresher ?? (uacSupports ? 'uac' : 'uas');
  return { kind: 'use', seconds: se.seconds, refresher, uacSupports };
}

/** RFC 4028 9: the headers of our 2xx for a `use` decision (Require: timer only if the UAC supports it). */
export function uasResponseHeaders(d: Extract<UasDecision, { kind: 'use' }>): Record<string, string> {
  const h: Record<string, string> = { 'Session-Expires': `${d.seconds};refresher=${d.refresher}` };
  if (d.uacSupports) h.Require = 'timer';
  return h;
}

/**
 * The running timer of one dialog (RFC 4028 10): the refresher refreshes at half the interval;
 * the other side sends BYE if no refresh came by `interval - min(32, interval / 3)` seconds.
 */
export class SessionTimer {
  private handle?: TimerHandle;
  private stopped = false;
  seconds = 0;
  weRefresh = false;

  constructor(private readonly clock: Clock,
    private readonly actions: { refresh: () => void; expire: () => void }) {}

  /** (Re)starts after a successful (re-)INVITE or UPDATE that carried the session interval. */
  start(seconds: number, weRefresh: boolean): void {
    if (this.stopped) return;
    this.handle?.cancel();
    this.seconds = seconds;
    this.weRefresh = weRefresh;
    if (weRefresh) {
      this.handle = this.clock.setTimer((seconds * 1000) / 2, () => this.actions.refresh());
    } else {
      const before = Math.min(32, seconds / 3);
      this.handle = this.clock.setTimer((seconds - before) * 1000, () => this.actions.expire());
    }
  }

  get running(): boolean {
    return this.handle !== undefined && !this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
  }
}

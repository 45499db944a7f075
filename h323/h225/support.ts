// Small shared pieces of the H.225.0 call signalling layer: injected logger, clock and a typed
// EventEmitter (STYLE 6, 7). h323/ stands alone, so these are not imported from sip/.
import { EventEmitter } from 'node:events';

export { systemClock, type Clock, type Logger, type TimerHandle } from '../support.ts';

/** Q.931 9.1 / H.225.0 7.3 call timers, in milliseconds. */
export interface CallTimers {
  /** T303: Setup sent → first answer (CallProceeding/Alerting/Progress/Connect). Default 4000. */
  t303Ms: number;
  /** T310: CallProceeding received → Alerting/Connect. Default 30000 (Q.931 Table 9-1: 30-120 s). */
  t310Ms: number;
  /** T301: Alerting received → Connect. Default 180000 (Q.931 Table 9-1: at least 3 min). */
  t301Ms: number;
  /** Incoming connection: TCP accepted → Setup received, else closed. Default 10000. */
  setupWaitMs: number;
  /** After our ReleaseComplete, how long the peer has to close TCP before we destroy it. Default 2000. */
  closeLingerMs: number;
}

export const DEFAULT_CALL_TIMERS: CallTimers = {
  t303Ms: 4000,
  t310Ms: 30000,
  t301Ms: 180000,
  setupWaitMs: 10000,
  closeLingerMs: 2000,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export interface TypedEmitter<E extends { [K in keyof E]: Listener }> {
  on<K extends keyof E & string>(event: K, listener: E[K]): this;
  once<K extends keyof E & string>(event: K, listener: E[K]): this;
  off<K extends keyof E & string>(event: K, listener: E[K]): this;
  emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean;
  listenerCount<K extends keyof E & string>(event: K): number;
}

export function typedEmitter<E extends { [K in keyof E]: Listener }>(): new () => TypedEmitter<E> {
  return EventEmitter as unknown as new () => TypedEmitter<E>;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** EventEmitter with a typed event map (STYLE 7). */
import { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export interface TypedEmitter<E extends { [K in keyof E]: Listener }> {
  on<K extends keyof E & string>(event: K, listener: E[K]): this;
  once<K extends keyof E & string>(event: K, listener: E[K]): this;
  off<K extends keyof E & string>(event: K, listener: E[K]): this;
  emit<K extends keyof E & string>(event: K, ...args: Parameters<E[K]>): boolean;
  listenerCount<K extends keyof E & string>(event: K): number;
  removeAllListeners<K extends keyof E & string>(event?: K): this;
}

/** Base class: `class X extends typedEmitter<XEvents>() {}`. */
export function typedEmitter<E extends { [K in keyof E]: Listener }>(): new () => TypedEmitter<E> {
  return EventEmitter as unknown as new () => TypedEmitter<E>;
}

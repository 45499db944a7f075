// A typed event emitter whose listeners cannot throw into the protocol code that emits
// (a listener error is logged; H.245 input handling must never throw out of a socket callback).
import type { Logger } from './logger.ts';

type Handler = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

export class TypedEmitter<M extends { [K in keyof M]: unknown[] }> {
  private readonly handlers = new Map<keyof M, Handler[]>();

  constructor(private readonly logger?: Logger) {}

  on<K extends keyof M>(event: K, fn: (...args: M[K]) => void): this {
    const list = this.handlers.get(event) ?? [];
    list.push(fn as Handler);
    this.handlers.set(event, list);
    return this;
  }

  once<K extends keyof M>(event: K, fn: (...args: M[K]) => void): this {
    const wrapper = (...args: M[K]) => {
      this.off(event, wrapper);
      fn(...args);
    };
    return this.on(event, wrapper);
  }

  off<K extends keyof M>(event: K, fn: (...args: M[K]) => void): this {
    const list = this.handlers.get(event);
    if (list) this.handlers.set(event, list.filter((h) => h !== (fn as Handler)));
    return this;
  }

  listenerCount(event: keyof M): number {
    return this.handlers.get(event)?.length ?? 0;
  }

  /** Calls every listener; returns whether there was one. */
  emit<K extends keyof M>(event: K, ...args: M[K]): boolean {
    const list = this.handlers.get(event);
    if (!list?.length) return false;
    for (const h of [...list]) {
      try {
        (h as (...a: M[K]) => void)(...args);
      } catch (e) {
        this.logger?.error('h245 event listener threw', { event: String(event), error: (e as Error).message });
      }
    }
    return true;
  }
}

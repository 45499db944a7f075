// Injected time source and logger shared by the H.323 layers (RAS, H.225.0, H.245): protocol
// code never calls setTimeout itself, so tests drive time (STYLE 6). Structurally the same as
// sip/'s Clock and winston's Logger, so either can be passed in; h323/ does not import sip/.

export interface TimerHandle {
  cancel(): void;
}

/** The timer factory every protocol timer goes through. */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms` milliseconds unless cancelled. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** Structural logger (winston's Logger satisfies it). */
export interface Logger {
  debug(msg: string, meta?: object): unknown;
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
  child?(meta: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

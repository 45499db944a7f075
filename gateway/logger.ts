import winston from 'winston';

/** Structured JSON logging, one event per line (winston). Call lines carry `callId`. */
export type Logger = winston.Logger;

const checked = new WeakSet<object>();

const level = process.env.ROOMGATE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');

export const rootLogger: Logger = withLevelChecks(winston.createLogger({
  level,
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
}));

/**
 * winston formats every line (JSON, ~2 µs) before its transports drop the ones below their level,
 * and a call runs dozens of debug lines through the SIP stack. This makes each level method of
 * `logger` (and of its children, which inherit them) return at once when no transport would
 * write that level (winston's own isLevelEnabled, which reads the logger's and transports'
 * levels at call time, so a level changed later still counts). Idempotent.
 */
export function withLevelChecks<T extends winston.Logger>(logger: T): T {
  if (checked.has(logger)) return logger;
  checked.add(logger);
  const target = logger as unknown as Record<string, unknown>;
  for (const name of Object.keys(logger.levels)) {
    const original = target[name];
    if (typeof original !== 'function') continue;
    target[name] = function (this: winston.Logger, ...args: unknown[]) {
      const self = this ?? logger;
      if (!self.isLevelEnabled(name)) return self;
      return (original as (...a: unknown[]) => unknown).apply(self, args);
    };
  }
  return logger;
}

/** A child logger whose every line names its component (and, for calls, the call id). */
export function childLogger(meta: Record<string, unknown>): Logger {
  return rootLogger.child(meta);
}

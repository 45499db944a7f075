import winston from 'winston';

/** Structured JSON logging, one event per line (winston). Call lines carry `callId`. */
export type Logger = winston.Logger;

const level = process.env.ROOMGATE_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');

export const rootLogger: Logger = winston.createLogger({
  level,
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
});

/** A child logger whose every line names its component (and, for calls, the call id). */
export function childLogger(meta: Record<string, unknown>): Logger {
  return rootLogger.child(meta);
}

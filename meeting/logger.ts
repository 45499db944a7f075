import winston from 'winston';

/** The structural logger every meeting module takes (winston's Logger satisfies it). */
export interface MeetingLogger {
  debug(msg: string, meta?: object): void;
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

/** The meeting service's own structured JSON logger, one event per line on stderr. */
export function createMeetingLogger(level = process.env.MEETING_LOG_LEVEL ?? 'info'): winston.Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service: 'meeting' },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** A logger that drops everything (tests that do not care). */
export const silentLogger: MeetingLogger = { debug() {}, info() {}, warn() {}, error() {} };

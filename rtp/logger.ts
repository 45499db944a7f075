/**
 * The structural logger every layer takes by injection (winston's Logger satisfies it).
 * rtp/ and bridge/ never import gateway/logger.ts.
 */
export interface Logger {
  debug(msg: string, meta?: object): unknown;
  info(msg: string, meta?: object): unknown;
  warn(msg: string, meta?: object): unknown;
  error(msg: string, meta?: object): unknown;
  child?(meta: Record<string, unknown>): Logger;
}

/** A logger that discards everything (defaults, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Bounds the log lines one source address can cause by sending bad input (unparseable datagrams,
 * malformed requests): at most `linesPerInterval` lines per source per `intervalMs`, so a handful
 * of bad messages is each logged once while a flood (issue #3 acceptance 5: 5,000 malformed
 * requests per second) costs a few lines, not one per packet. The first line written after a
 * quiet spell says how many were held back.
 */

export interface SourceLogThrottleOptions {
  /** Window length, ms. Default 10000. */
  intervalMs?: number;
  /** Lines per source per window. Default 10. */
  linesPerInterval?: number;
  /** Sources tracked at most; beyond that the table is cleared (spoofed sources must not grow memory). Default 10000. */
  maxSources?: number;
}

interface Window {
  startedAt: number;
  lines: number;
  suppressed: number;
}

export class SourceLogThrottle {
  private readonly intervalMs: number;
  private readonly linesPerInterval: number;
  private readonly maxSources: number;
  private readonly sources = new Map<string, Window>();

  /** `now` is the injected time source in ms (STYLE 6). */
  constructor(opts: SourceLogThrottleOptions, private readonly now: () => number) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.linesPerInterval = opts.linesPerInterval ?? 10;
    this.maxSources = opts.maxSources ?? 10_000;
  }

  /**
   * Call once per line about `address`: the number of lines held back since the last written one
   * when this line may be written, undefined when it must be held back.
   */
  admit(address: string): number | undefined {
    const now = this.now();
    let w = this.sources.get(address);
    if (!w || now - w.startedAt >= this.intervalMs) {
      if (!w && this.sources.size >= this.maxSources) this.sources.clear();
      const suppressed = w?.suppressed ?? 0;
      this.sources.set(address, { startedAt: now, lines: 1, suppressed: 0 });
      return suppressed;
    }
    if (w.lines < this.linesPerInterval) {
      w.lines++;
      const suppressed = w.suppressed;
      w.suppressed = 0;
      return suppressed;
    }
    w.suppressed++;
    return undefined;
  }
}

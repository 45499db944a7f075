import type { DtmfDigit } from '../bridge/index.ts';

export type DtmfSource = 'rfc4733' | 'info';

/** Two copies of one key press arrive this close together (by their start), ms. */
export const DTMF_MERGE_WINDOW_MS = 100;

interface Claim {
  digit: DtmfDigit;
  atMs: number;
}

/**
 * One digit per key press when a terminal signals it twice, as RFC 4733 events and as INFO
 * (some do). Rule: a digit from one source is dropped when the *other* source already
 * announced the same key with a start time within `windowMs` of it; each announcement
 * absorbs at most one copy. RFC 4733 digits announce themselves at their first packet
 * (`rtpStarted`), before they are complete, so an INFO arriving mid-tone is recognised as the
 * copy; an INFO that came first makes the later RFC 4733 digit the copy. Within one source
 * nothing is merged: "1" "1" typed quickly stays two digits.
 */
export class DtmfMerger {
  private readonly claims: Record<DtmfSource, Claim[]> = { rfc4733: [], info: [] };
  merged = 0;

  constructor(
    private readonly now: () => number,
    private readonly windowMs = DTMF_MERGE_WINDOW_MS,
  ) {}

  /** The first packet of an RFC 4733 event arrived (the digit follows with `offer`). */
  rtpStarted(digit: DtmfDigit, atMs: number): void {
    this.claim('rfc4733', digit, atMs);
  }

  /**
   * A complete digit from `source`, which started at `startedAtMs` (INFO: on arrival).
   * True: deliver it; false: it is the other source's copy.
   */
  offer(source: DtmfSource, digit: DtmfDigit, startedAtMs = this.now()): boolean {
    const other = source === 'info' ? 'rfc4733' : 'info';
    this.expire();
    const list = this.claims[other];
    const i = list.findIndex((c) => c.digit === digit && Math.abs(c.atMs - startedAtMs) <= this.windowMs);
    if (i >= 0) {
      list.splice(i, 1);
      this.merged++;
      return false;
    }
    if (source === 'info') this.claim('info', digit, startedAtMs);
    return true;
  }

  private claim(source: DtmfSource, digit: DtmfDigit, atMs: number): void {
    this.expire();
    const list = this.claims[source];
    list.push({ digit, atMs });
    if (list.length > 64) list.shift();
  }

  /** Claims only matter within the window (plus a tone's length for RFC 4733 starts). */
  private expire(): void {
    const horizon = this.now() - this.windowMs - 10_000;
    for (const k of ['rfc4733', 'info'] as const) {
      const list = this.claims[k];
      while (list.length && list[0]!.atMs < horizon) list.shift();
    }
  }
}

/**
 * The sixteen DTMF keys and their RFC 4733 event codes (RFC 4733 3.2, Table 1: events 0-9 are
 * the digits, 10 is '*', 11 is '#', 12-15 are 'A'-'D').
 */
export type DtmfDigit =
  | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9'
  | '*' | '#' | 'A' | 'B' | 'C' | 'D';

const DIGITS = '0123456789*#ABCD';

/** Default tone length when a sender gives none, ms (ITU-T Q.24 asks for at least 40 ms). */
export const DEFAULT_DTMF_DURATION_MS = 160;
/** Longest tone we generate or forward, ms (keeps one request from holding the audio). */
export const MAX_DTMF_DURATION_MS = 5000;
export const MIN_DTMF_DURATION_MS = 40;

/** RFC 4733 3.2: the DTMF key of event code `code`, or undefined for any other event. */
export function digitOfEvent(code: number): DtmfDigit | undefined {
  return code >= 0 && code < 16 ? (DIGITS[code] as DtmfDigit) : undefined;
}

/** RFC 4733 3.2: the event code of a DTMF key. */
export function eventOfDigit(digit: DtmfDigit): number {
  return DIGITS.indexOf(digit);
}

/** The key written as `text` (case-insensitive for A-D), or undefined when it is not one. */
export function parseDtmfDigit(text: string): DtmfDigit | undefined {
  const t = text.trim().toUpperCase();
  return t.length === 1 && DIGITS.includes(t) ? (t as DtmfDigit) : undefined;
}

/** Clamp a requested tone length into [MIN, MAX]; undefined/NaN gives the default. */
export function clampDtmfDuration(ms: number | undefined): number {
  if (ms === undefined || !Number.isFinite(ms)) return DEFAULT_DTMF_DURATION_MS;
  return Math.min(MAX_DTMF_DURATION_MS, Math.max(MIN_DTMF_DURATION_MS, Math.round(ms)));
}

import { clampDtmfDuration, digitOfEvent, parseDtmfDigit, type DtmfDigit } from '../bridge/index.ts';

/**
 * DTMF in SIP INFO (RFC 6086 "legacy" INFO usage, no Info-Package). Two de-facto bodies:
 *   application/dtmf-relay   "Signal=5\r\nDuration=160\r\n"  (key, tone length in ms)
 *   application/dtmf         "5"                              (the key alone)
 * Neither has an RFC; the shapes are what terminals and SBCs exchange. Signal may also carry
 * the RFC 4733 3.2 event number of '*', '#', A-D (10-15), which some devices send.
 */
export const DTMF_RELAY_CONTENT_TYPE = 'application/dtmf-relay';
export const DTMF_CONTENT_TYPE = 'application/dtmf';

export interface InfoDigit {
  digit: DtmfDigit;
  /** From Duration=, clamped to 40..5000 ms; the default (160) when absent. */
  durationMs: number;
}

/** What an INFO body was: a DTMF key, a DTMF content type with a body we cannot read, or neither. */
export type DtmfInfoParse = { kind: 'digit'; value: InfoDigit } | { kind: 'malformed'; reason: string } | { kind: 'not-dtmf' };

/** Media type of a Content-Type header value, lower-cased, without parameters. */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function keyOf(text: string): DtmfDigit | undefined {
  const t = text.trim();
  if (/^1[0-5]$/.test(t)) return digitOfEvent(Number(t));
  return parseDtmfDigit(t);
}

export function parseDtmfInfo(contentType: string | undefined, body: string): DtmfInfoParse {
  const type = mediaType(contentType);
  if (type === DTMF_CONTENT_TYPE) {
    const digit = keyOf(body);
    return digit ? { kind: 'digit', value: { digit, durationMs: clampDtmfDuration(undefined) } } : { kind: 'malformed', reason: 'body is not one DTMF key' };
  }
  if (type !== DTMF_RELAY_CONTENT_TYPE) return { kind: 'not-dtmf' };
  let signal: string | undefined;
  let duration: number | undefined;
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    if (name === 'signal') signal = m[2]!;
    else if (name === 'duration' && /^\d{1,6}$/.test(m[2]!)) duration = Number(m[2]);
  }
  if (signal === undefined) return { kind: 'malformed', reason: 'no Signal= line' };
  const digit = keyOf(signal);
  if (!digit) return { kind: 'malformed', reason: 'Signal= is not a DTMF key' };
  return { kind: 'digit', value: { digit, durationMs: clampDtmfDuration(duration) } };
}

/** The application/dtmf-relay body for one key. */
export function dtmfRelayBody(digit: DtmfDigit, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${Math.round(durationMs)}\r\n`;
}

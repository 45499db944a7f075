/**
 * Strict syntax checks on header values the stack answers for (RFC 3261 25.1). The grammar
 * scanners in grammar.ts are lenient so that a reply can still be routed; these checks say what is
 * wrong with a value (returned as a short reason for the 400), or undefined when it is well formed.
 * Single forward scans over the bytes `b[start, end)` of a value as received (or its UTF-8 encoding):
 * no regular expressions, no slicing, no exceptions. Every decision rests on ASCII characters only,
 * and UTF-8 decoding maps each run of bytes >= 0x80 to a run of non-ASCII characters, so scanning
 * the bytes says exactly what scanning the decoded text would.
 */
import { isTokenByte } from './grammar.ts';

const SP = 0x20, HT = 0x09, CR = 0x0d, LF = 0x0a, DQUOTE = 0x22, BACKSLASH = 0x5c, SEMI = 0x3b,
  EQUAL = 0x3d, COMMA = 0x2c, COLON = 0x3a, SLASH = 0x2f, LAQUOT = 0x3c, RAQUOT = 0x3e, LBRACKET = 0x5b,
  RBRACKET = 0x5d, QUESTION = 0x3f;

function isLws(c: number): boolean {
  return c === SP || c === HT || c === CR || c === LF;
}

/** Index of the first byte `c` in `s[i, end)`, or -1. */
function indexOfByte(s: Uint8Array, c: number, i: number, end: number): number {
  for (; i < end; i++) if (s[i] === c) return i;
  return -1;
}

function skipLws(s: Uint8Array, i: number, end: number): number {
  while (i < end && isLws(s[i])) i++;
  return i;
}

/** RFC 3261 25.1 quoted-string opening at `open`: index just past the closing quote, or -1. */
function quotedStringEnd(s: Uint8Array, open: number, end: number): number {
  for (let i = open + 1; i < end; i++) {
    const c = s[i];
    if (c === BACKSLASH) i++; // quoted-pair
    else if (c === DQUOTE) return i + 1;
  }
  return -1;
}

/** A scan either advances to an index or stops with a problem. */
type Scan = number | string;

/** RFC 3261 25.1 gen-value = token / host / quoted-string (host adds ":" "[" "]" for IPv6). */
function scanGenValue(s: Uint8Array, i: number, end: number): Scan {
  if (i < end && s[i] === DQUOTE) {
    const q = quotedStringEnd(s, i, end);
    return q < 0 ? 'bad quoted parameter value' : q;
  }
  const start = i;
  for (; i < end; i++) {
    const c = s[i];
    if (!isTokenByte(c) && c !== COLON && c !== LBRACKET && c !== RBRACKET) break;
  }
  return i === start ? 'empty parameter value' : i;
}

/**
 * `*( SEMI name [EQUAL gen-value] )` with LWS allowed around the separators (RFC 3261 25.1 SEMI,
 * EQUAL). Stops at `end` or, when `stopAtComma`, before a ",". No empty parameters (RFC 4475 3.1.2.1).
 */
function scanParams(s: Uint8Array, i: number, end: number, stopAtComma: boolean): Scan {
  for (;;) {
    i = skipLws(s, i, end);
    if (i >= end) return i;
    const c = s[i];
    if (c === COMMA && stopAtComma) return i;
    if (c !== SEMI) return 'unexpected text after address';
    i = skipLws(s, i + 1, end);
    const nameStart = i;
    while (i < end && isTokenByte(s[i])) i++;
    if (i === nameStart) {
      const n = i < end ? s[i] : -1;
      return n === -1 || n === SEMI || n === COMMA ? 'empty parameter' : 'bad parameter name';
    }
    const afterName = skipLws(s, i, end);
    if (afterName < end && s[afterName] === EQUAL) {
      const v = scanGenValue(s, skipLws(s, afterName + 1, end), end);
      if (typeof v === 'string') return v;
      i = v;
    }
  }
}

/** RFC 3261 25.1 display-name = *(token LWS) / quoted-string, between `start` and `end`. */
function displayNameProblem(s: Uint8Array, start: number, end: number): string | undefined {
  let i = skipLws(s, start, end);
  while (end > i && isLws(s[end - 1])) end--;
  if (i >= end) return undefined;
  if (s[i] === DQUOTE) return quotedStringEnd(s, i, end) === end ? undefined : 'bad quoted display name';
  for (; i < end; i++) {
    const c = s[i];
    if (!isTokenByte(c) && !isLws(c)) return 'non-token characters in display name';
  }
  return undefined;
}

/** An absolute URI between `start` and `end`: scheme ":" then no whitespace. */
function uriProblem(s: Uint8Array, start: number, end: number): string | undefined {
  if (start >= end) return 'empty URI';
  let i = start;
  while (i < end && isTokenByte(s[i])) i++;
  if (i === start || i >= end || s[i] !== COLON) return 'URI without scheme';
  for (; i < end; i++) if (isLws(s[i])) return 'whitespace in URI';
  return undefined;
}

/**
 * A From/To/Contact value: name-addr or addr-spec with header parameters (RFC 3261 20.10, 20.20,
 * 20.39). RFC 3261 20.10 / RFC 8217: an addr-spec containing "," "?" or ";" must be in <>.
 */
export function nameAddrProblem(s: Uint8Array, start: number, end: number): string | undefined {
  let lt = -1;
  for (let i = start; i < end; i++) {
    const c = s[i];
    if (c === DQUOTE) {
      const q = quotedStringEnd(s, i, end);
      if (q < 0) return 'unterminated quoted string';
      i = q - 1;
    } else if (c === LAQUOT) {
      lt = i;
      break;
    }
  }
  if (lt >= 0) {
    const gt = indexOfByte(s, RAQUOT, lt, end);
    if (gt < 0) return 'missing ">"';
    const display = displayNameProblem(s, start, lt);
    if (display) return display;
    // RFC 4475 3.1.2.14: no LWS inside the angle brackets.
    if (gt > lt + 1 && (isLws(s[lt + 1]) || isLws(s[gt - 1]))) return 'spaces within addr-spec';
    const uri = uriProblem(s, lt + 1, gt);
    if (uri) return uri;
    const p = scanParams(s, gt + 1, end, false);
    return typeof p === 'string' ? p : undefined;
  }
  const specStart = skipLws(s, start, end);
  let i = specStart;
  for (; i < end; i++) {
    const c = s[i];
    if (c === SEMI || isLws(c)) break;
    if (c === QUESTION || c === COMMA) return 'addr-spec with "?" or "," not enclosed in <>';
  }
  const uri = uriProblem(s, specStart, i);
  if (uri) return uri;
  const p = scanParams(s, i, end, false);
  return typeof p === 'string' ? p : undefined;
}

/** RFC 3261 25.1 sent-protocol = protocol-name SLASH protocol-version SLASH transport. */
function scanSentProtocol(s: Uint8Array, i: number, end: number): Scan {
  for (let part = 0; part < 3; part++) {
    i = skipLws(s, i, end);
    const start = i;
    while (i < end && isTokenByte(s[i])) i++;
    if (i === start) return 'bad Via sent-protocol';
    if (part < 2) {
      i = skipLws(s, i, end);
      if (i >= end || s[i] !== SLASH) return 'bad Via sent-protocol';
      i++;
    }
  }
  return i;
}

/** RFC 3261 25.1 sent-by = host [ COLON port ]; host as hostname/IPv4 or an IPv6 reference. */
function scanSentBy(s: Uint8Array, i: number, end: number): Scan {
  const start = i;
  if (i < end && s[i] === LBRACKET) {
    const close = indexOfByte(s, RBRACKET, i, end);
    if (close < 0) return 'bad IPv6 reference';
    i = close + 1;
  } else {
    while (i < end && isTokenByte(s[i])) i++;
  }
  if (i === start) return 'empty Via host';
  const afterHost = skipLws(s, i, end);
  if (afterHost < end && s[afterHost] === COLON) {
    i = skipLws(s, afterHost + 1, end);
    const portStart = i;
    let port = 0;
    for (; i < end; i++) {
      const c = s[i];
      if (c < 0x30 || c > 0x39) break;
      port = port * 10 + (c - 0x30);
    }
    if (i === portStart || i - portStart > 5 || port > 65535) return 'bad Via port';
  }
  return i;
}

/** One Via header line: comma-separated via-parms, none empty (RFC 3261 20.42, RFC 4475 3.1.2.1). */
export function viaLineProblem(s: Uint8Array, start: number, end: number): string | undefined {
  let i = start;
  for (;;) {
    i = skipLws(s, i, end);
    if (i >= end || s[i] === COMMA) return 'empty Via value';
    const proto = scanSentProtocol(s, i, end);
    if (typeof proto === 'string') return proto;
    i = skipLws(s, proto, end);
    if (i === proto) return 'bad Via sent-protocol';
    const by = scanSentBy(s, i, end);
    if (typeof by === 'string') return by;
    const p = scanParams(s, by, end, true);
    if (typeof p === 'string') return p;
    if (p >= end) return undefined;
    i = p + 1; // past the ","
  }
}

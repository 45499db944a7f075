/** Header name normalisation: case-insensitive names and compact forms (RFC 3261 7.3.1, 7.3.3). */

// RFC 3261 7.3.3 compact forms, plus RFC 3265 (o, u), RFC 3515 (r), RFC 3892 (b).
const COMPACT: Record<string, string> = {
  i: 'call-id', m: 'contact', f: 'from', t: 'to', v: 'via', l: 'content-length',
  c: 'content-type', k: 'supported', s: 'subject', e: 'content-encoding', o: 'event',
  u: 'allow-events', r: 'refer-to', b: 'referred-by',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', via: 'Via', from: 'From', to: 'To', contact: 'Contact',
  'content-length': 'Content-Length', 'content-type': 'Content-Type', 'max-forwards': 'Max-Forwards',
  route: 'Route', 'record-route': 'Record-Route', 'www-authenticate': 'WWW-Authenticate',
  'user-agent': 'User-Agent', 'allow-events': 'Allow-Events', 'rseq': 'RSeq', 'rack': 'RAck',
};

/**
 * Headers whose value is a comma-separated list (RFC 3261 7.3.1: "#" rules). Others (Date,
 * WWW-Authenticate, ...) may contain commas that do not separate values.
 */
const LIST_HEADERS = new Set([
  'via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'allow-events',
  'content-encoding', 'in-reply-to', 'alert-info', 'call-info', 'error-info', 'path',
]);

/**
 * Keys of the spellings seen in nearly every message, precomputed so the parser's hot path skips
 * lower-casing. Fixed at load time: names from the network are never added (no unbounded growth).
 */
const KNOWN_KEYS = new Map<string, string>();
for (const key of [...Object.keys(CANONICAL), 'allow', 'supported', 'require', 'session-expires', 'min-se', 'server',
  'expires', 'accept', 'date', 'subject', 'authorization', 'proxy-authorization', 'proxy-authenticate',
  'event', 'content-disposition', 'p-asserted-identity', 'privacy', 'reason', 'warning']) {
  for (const spelling of [key, CANONICAL[key] ?? canonicalName(key), key.toUpperCase()]) KNOWN_KEYS.set(spelling, key);
}
for (const [letter, key] of Object.entries(COMPACT)) {
  KNOWN_KEYS.set(letter, key);
  KNOWN_KEYS.set(letter.toUpperCase(), key);
}

/**
 * The header fields the parser's own checks read (RFC 3261 8.1.1, 18.3, 20.14), by number so the
 * parser can switch on them; `other` for every other field.
 */
export const Field = {
  other: 0, via: 1, from: 2, to: 3, callId: 4, cseq: 5, maxForwards: 6, contentLength: 7, contact: 8,
} as const;
export type Field = (typeof Field)[keyof typeof Field];

const FIELD_OF_KEY: Record<string, Field> = {
  via: Field.via, from: Field.from, to: Field.to, 'call-id': Field.callId, cseq: Field.cseq,
  'max-forwards': Field.maxForwards, 'content-length': Field.contentLength, contact: Field.contact,
};

/** The checks' number for a lookup key (`Field.other` for most). */
export function fieldOf(key: string): Field {
  return FIELD_OF_KEY[key] ?? Field.other;
}

export interface KnownHeader {
  /** Spelling kept for the field when the wire's spelling is this one (or a compact form). */
  name: string;
  key: string;
  field: Field;
}

/** A well-known name (or compact form) with the spellings the matcher keeps without slicing the line. */
interface KnownName {
  /** The name (or compact letter) in lower case, as compared. */
  spelling: string;
  canonical: KnownHeader;
  lower: KnownHeader;
  /** The canonical and the lower-case spelling as ASCII bytes. */
  canonicalBytes: Uint8Array;
  lowerBytes: Uint8Array;
}

/**
 * Well-known names indexed by lower-cased first character, then by length, so one array load
 * finds the (usually single) candidate. Fixed at load time: names from the network are never added.
 */
const BY_FIRST: KnownName[][][] = [];
function addKnown(spelling: string, key: string): void {
  const field = fieldOf(key);
  const canonical = { name: CANONICAL[key] ?? canonicalName(key), key, field };
  const entry: KnownName = {
    spelling, canonical, lower: { name: spelling, key, field },
    canonicalBytes: Buffer.from(canonical.name, 'latin1'), lowerBytes: Buffer.from(spelling, 'latin1'),
  };
  ((BY_FIRST[spelling.charCodeAt(0)] ??= [])[spelling.length] ??= []).push(entry);
}
for (const key of new Set(KNOWN_KEYS.values())) addKnown(key, key);
for (const [letter, key] of Object.entries(COMPACT)) addKnown(letter, key);

const A_LOWER = 0x61, Z_LOWER = 0x7a;

/** Whether `text` at `start` spells `lower` (lower case) in any mix of case, ASCII letters only. */
function equalsIgnoringCase(text: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(start + i);
    const l = lower.charCodeAt(i);
    if (c !== l && ((c | 0x20) !== l || l < A_LOWER || l > Z_LOWER)) return false;
  }
  return true;
}

/**
 * The well-known header named by `text[start, end)` (RFC 3261 7.3.5: names compare without regard
 * to case; 7.3.3: a compact form stands for its long name), or undefined. `name` is the spelling
 * to keep: the known constant when the wire spells it so, else `text[start, end)` sliced. A
 * single letter always gets the long name's canonical spelling (as SipHeaders.appendField does).
 */
export function matchKnownHeader(text: string, start: number, end: number): KnownHeader | undefined {
  const len = end - start;
  if (len <= 0) return undefined;
  const byLen = BY_FIRST[text.charCodeAt(start) | 0x20];
  const candidates = byLen === undefined ? undefined : byLen[len];
  if (candidates === undefined) return undefined;
  for (const k of candidates) {
    if (len === 1) {
      if (equalsIgnoringCase(text, start, k.spelling)) return k.canonical;
      continue;
    }
    // Spelled as the canonical or the lower-case constant (nearly always): no copy of the name.
    if (text.startsWith(k.canonical.name, start)) return k.canonical;
    if (text.startsWith(k.spelling, start)) return k.lower;
    if (equalsIgnoringCase(text, start, k.spelling)) {
      return { name: text.slice(start, end), key: k.canonical.key, field: k.canonical.field };
    }
  }
  return undefined;
}

function bytesEqual(b: Uint8Array, start: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (b[start + i] !== want[i]) return false;
  return true;
}

/**
 * Fast path of matchKnownHeader on the received bytes `b[start, end)`: a long name spelled exactly
 * as its canonical or lower-case constant; undefined for anything else (ask matchKnownHeader).
 */
export function matchKnownHeaderBytes(b: Uint8Array, start: number, end: number): KnownHeader | undefined {
  const len = end - start;
  if (len <= 1) return undefined;
  const byLen = BY_FIRST[b[start] | 0x20];
  const candidates = byLen === undefined ? undefined : byLen[len];
  if (candidates === undefined) return undefined;
  for (const k of candidates) {
    if (bytesEqual(b, start, k.canonicalBytes)) return k.canonical;
    if (bytesEqual(b, start, k.lowerBytes)) return k.lower;
  }
  return undefined;
}

/** The key of a well-known header spelling, or undefined (the caller then validates and lower-cases). */
export function knownHeaderKey(name: string): string | undefined {
  return KNOWN_KEYS.get(name);
}

/** The lookup key of a header name: lower case, compact forms expanded. */
export function headerKey(name: string): string {
  const known = KNOWN_KEYS.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

/** The spelling used when the stack writes a header it created. */
export function canonicalName(key: string): string {
  const known = CANONICAL[key];
  if (known) return known;
  let out = '';
  let upper = true;
  for (const ch of key) {
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}

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

export interface KnownHeader {
  name: string;
  key: string;
}

/** Well-known exact spellings grouped by length, matched in place without slicing the line. */
const BY_LENGTH: KnownHeader[][] = [];
for (const [spelling, key] of KNOWN_KEYS) {
  (BY_LENGTH[spelling.length] ??= []).push({ name: spelling.length === 1 ? canonicalName(key) : spelling, key });
}
// Canonical spellings first: they are what peers send.
for (const list of BY_LENGTH) list?.sort((a, b) => Number(b.name !== b.key) - Number(a.name !== a.key));

/** The well-known header spelled exactly as `text[start, end)`, or undefined. */
export function matchKnownHeader(text: string, start: number, end: number): KnownHeader | undefined {
  const list = BY_LENGTH[end - start];
  if (list === undefined) return undefined;
  if (end - start === 1) {
    const letter = text[start];
    return list.find((h) => h.key === KNOWN_KEYS.get(letter));
  }
  for (const h of list) if (text.startsWith(h.name, start)) return h;
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

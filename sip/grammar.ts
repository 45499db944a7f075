/**
 * Small scanners for the RFC 3261 25.1 grammar pieces the stack needs: comma lists, parameters,
 * name-addr / addr-spec, SIP URIs, Via, CSeq. Linear scans only: no regular expressions that
 * could backtrack on hostile input.
 */
import { ParseError } from './errors.ts';

export type Params = Map<string, string | null>;

function isWs(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/** Splits `value` at top-level occurrences of `sep`, ignoring separators inside quotes and <>. */
export function splitTopLevel(value: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '<') inAngle = true;
    else if (c === '>') inAngle = false;
    else if (c === sep && !inAngle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/** Parses `;a=b;c` (leading ';' optional) into a map with lower-case names (RFC 3261 7.3.1). */
export function parseParams(text: string): Params {
  const params: Params = new Map();
  for (const part of splitTopLevel(text, ';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) params.set(part.toLowerCase(), null);
    else params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return params;
}

export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** A name-addr or addr-spec with its header parameters (RFC 3261 20.10, 20.20, 20.39). */
export interface NameAddr {
  displayName?: string;
  uri: string;
  params: Params;
}

function unquote(s: string): string {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return s;
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    if (s[i] === '\\' && i + 1 < s.length - 1) i++;
    out += s[i];
  }
  return out;
}

export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  let inQuote = false;
  let lt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '<') { lt = i; break; }
  }
  if (inQuote) throw new ParseError('unterminated quoted string');
  if (lt >= 0) {
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new ParseError('missing ">" in name-addr');
    const display = unquote(text.slice(0, lt).trim());
    const uri = text.slice(lt + 1, gt).trim();
    if (uri === '') throw new ParseError('empty URI in name-addr');
    return { displayName: display === '' ? undefined : display, uri, params: parseParams(text.slice(gt + 1)) };
  }
  // RFC 3261 20.10: in addr-spec form, everything after the first ';' is a header parameter.
  const semi = text.indexOf(';');
  const uri = (semi < 0 ? text : text.slice(0, semi)).trim();
  if (uri === '' || uri.indexOf(' ') >= 0) throw new ParseError('bad addr-spec');
  return { uri, params: parseParams(semi < 0 ? '' : text.slice(semi)) };
}

function quoteDisplay(name: string): string {
  let out = '"';
  for (const c of name) out += c === '"' || c === '\\' ? `\\${c}` : c;
  return `${out}"`;
}

export function formatNameAddr(na: NameAddr): string {
  const display = na.displayName ? `${quoteDisplay(na.displayName)} ` : '';
  return `${display}<${na.uri}>${formatParams(na.params)}`;
}

/** The parts of a sip:/sips: URI the stack routes on (RFC 3261 19.1.1). */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  host: string;       // IPv6 without brackets
  port?: number;
  params: Params;
}

/** Splits `host[:port]` (IPv6 in brackets). */
export function parseHostPort(text: string): { host: string; port?: number } {
  const t = text.trim();
  let host: string;
  let rest: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0) throw new ParseError('bad IPv6 reference');
    host = t.slice(1, close);
    rest = t.slice(close + 1);
  } else {
    const colon = t.indexOf(':');
    host = colon < 0 ? t : t.slice(0, colon);
    rest = colon < 0 ? '' : t.slice(colon);
  }
  if (host === '') throw new ParseError('empty host');
  if (rest === '') return { host };
  if (rest[0] !== ':') throw new ParseError('bad host:port');
  const port = parsePort(rest.slice(1));
  return { host, port };
}

function parsePort(s: string): number {
  if (s.length === 0 || s.length > 5) throw new ParseError('bad port');
  let n = 0;
  for (const c of s) {
    if (c < '0' || c > '9') throw new ParseError('bad port');
    n = n * 10 + (c.charCodeAt(0) - 48);
  }
  if (n > 65535) throw new ParseError('port out of range');
  return n;
}

export function parseSipUri(text: string): SipUri {
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') throw new ParseError(`unsupported URI scheme "${scheme}"`);
  const rest = text.slice(colon + 1);
  // The user part may contain "?" and ";" (RFC 3261 25.1 user-unreserved); headers follow hostport.
  const at = rest.lastIndexOf('@');
  const user = at >= 0 ? rest.slice(0, at) : undefined;
  let hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const q = hostPart.indexOf('?');
  if (q >= 0) hostPart = hostPart.slice(0, q);
  const semi = hostPart.indexOf(';');
  const { host, port } = parseHostPort(semi < 0 ? hostPart : hostPart.slice(0, semi));
  return { scheme, user, host, port, params: parseParams(semi < 0 ? '' : hostPart.slice(semi)) };
}

/** One Via value (RFC 3261 20.42, RFC 3581 for rport). */
export interface Via {
  protocol: string;   // 'SIP/2.0'
  transport: string;  // upper case: 'UDP', 'TCP', ...
  host: string;
  port?: number;
  params: Params;
}

export function parseVia(value: string): Via {
  // sent-protocol allows LWS around the slashes (RFC 3261 25.1 SLASH).
  const parts: string[] = [];
  let i = 0;
  for (let k = 0; k < 3; k++) {
    while (i < value.length && isWs(value[i])) i++;
    const start = i;
    while (i < value.length && value[i] !== '/' && !isWs(value[i])) i++;
    parts.push(value.slice(start, i));
    while (i < value.length && isWs(value[i])) i++;
    if (k < 2) {
      if (value[i] !== '/') throw new ParseError('bad Via sent-protocol');
      i++;
    }
  }
  // The version is kept as written so a request with a foreign version can still get its 505.
  if (parts[0].toUpperCase() !== 'SIP' || parts[1] === '' || parts[2] === '') {
    throw new ParseError('bad Via sent-protocol');
  }
  const rest = value.slice(i);
  const semi = rest.indexOf(';');
  const { host, port } = parseHostPort(semi < 0 ? rest : rest.slice(0, semi));
  return { protocol: `SIP/${parts[1]}`, transport: parts[2].toUpperCase(), host, port,
    params: parseParams(semi < 0 ? '' : rest.slice(semi)) };
}

export function formatVia(via: Via): string {
  const host = via.host.includes(':') ? `[${via.host}]` : via.host;
  const port = via.port === undefined ? '' : `:${via.port}`;
  return `${via.protocol}/${via.transport} ${host}${port}${formatParams(via.params)}`;
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq {
  let i = 0;
  let end = value.length;
  while (i < end && isWsCode(value.charCodeAt(i))) i++;
  while (end > i && isWsCode(value.charCodeAt(end - 1))) end--;
  const digitsStart = i;
  let seq = 0;
  for (; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    seq = seq * 10 + (c - 0x30);
  }
  if (i === digitsStart || i - digitsStart > 10) throw new ParseError('bad CSeq number');
  // RFC 3261 8.1.1.5: the sequence number MUST be less than 2**31.
  if (seq >= 2 ** 31) throw new ParseError('CSeq number out of range');
  while (i < end && isWsCode(value.charCodeAt(i))) i++;
  const method = value.slice(i, end);
  if (method === '' || !isToken(method)) throw new ParseError('bad CSeq method');
  return { seq, method };
}

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * RFC 3261 25.1 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
 * 256 entries so a byte indexes it directly (every byte >= 0x80 is not a token character).
 */
const TOKEN_CHAR = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  TOKEN_CHAR[c] = /[A-Za-z0-9]/.test(ch) || "-.!%*_+`'~".includes(ch) ? 1 : 0;
}

/** Whether a UTF-16 code unit is an RFC 3261 25.1 token character. */
export function isTokenCode(c: number): boolean {
  return c < 128 && TOKEN_CHAR[c] === 1;
}

/** Whether a byte (0..255) is an RFC 3261 25.1 token character. */
export function isTokenByte(b: number): boolean {
  return TOKEN_CHAR[b] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] === 0) return false;
  }
  return true;
}

/** A non-negative decimal integer (at most 10 digits, LWS around allowed), or undefined. */
export function parseUnsigned(s: string): number | undefined {
  let i = 0;
  let end = s.length;
  while (i < end && isWsCode(s.charCodeAt(i))) i++;
  while (end > i && isWsCode(s.charCodeAt(end - 1))) end--;
  if (end === i || end - i > 10) return undefined;
  let n = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/**
 * Decodes % HEX HEX escapes once (RFC 3261 19.1.4, RFC 3986 2.1: never recursively); a "%" not
 * followed by two hex digits is kept as written. Escaped octets are read as UTF-8.
 */
export function percentDecode(text: string): string {
  if (text.indexOf('%') < 0) return text;
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const hi = raw[i] === 0x25 && i + 2 < raw.length ? hexValue(raw[i + 1]) : -1;
    const lo = hi >= 0 ? hexValue(raw[i + 2]) : -1;
    if (lo >= 0) {
      bytes.push(hi * 16 + lo);
      i += 2;
    } else bytes.push(raw[i]);
  }
  return Buffer.from(bytes).toString('utf8');
}

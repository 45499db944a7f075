/** SIP message model and serializer (RFC 3261 7). Header order and spelling are preserved. */
import { canonicalName, headerKey, isListHeader } from './header-names.ts';
import { parseCSeq, parseNameAddr, parseVia, splitTopLevel, type CSeq, type NameAddr, type Via } from './grammar.ts';

interface HeaderField {
  name: string;  // as written on the wire (or canonical when the stack created it)
  key: string;   // lower case, compact form expanded
  value: string;
  /**
   * Where the line as received starts in the headers' source text, when it is exactly
   * `${name}: ${value}\r\n` (what encode() writes), else -1. A changed field is a new object
   * with -1, so a stale line is never written.
   */
  at: number;
}

export class SipHeaders {
  private readonly fields: HeaderField[] = [];
  /** The received header text that fields' `at` offsets point into ('' when built by the stack). */
  private source = '';

  /** Appends a header line as received or as given. */
  append(name: string, value: string): void {
    const key = headerKey(name);
    this.fields.push({ name: name.length === 1 ? canonicalName(key) : name, key, value, at: -1 });
  }

  /** Sets the received header text that appendField's `at` offsets point into (the parser). */
  receivedFrom(source: string): void {
    this.source = source;
  }

  /**
   * Appends a header line whose lookup key the caller already computed (the parser's hot path).
   * `at`: where `${name}: ${value}\r\n` stands, exactly so, in the text given to receivedFrom()
   * (the parser checks the form), or -1.
   */
  appendField(name: string, key: string, value: string, at = -1): void {
    const fits = at >= 0 && name.length > 1 && at + name.length + value.length + 4 <= this.source.length;
    this.fields.push({ name: name.length === 1 ? canonicalName(key) : name, key, value, at: fits ? at : -1 });
  }

  /** Inserts a header line before all others with the same name (e.g. a new top Via). */
  prepend(name: string, value: string): void {
    const key = headerKey(name);
    const idx = this.fields.findIndex((f) => f.key === key);
    const field = { name: canonicalName(key), key, value, at: -1 };
    if (idx < 0) this.fields.push(field);
    else this.fields.splice(idx, 0, field);
  }

  /** Replaces every line of this header by one line with `value`, keeping the first position. */
  set(name: string, value: string): void {
    const key = headerKey(name);
    const idx = this.fields.findIndex((f) => f.key === key);
    if (idx < 0) {
      this.fields.push({ name: canonicalName(key), key, value, at: -1 });
      return;
    }
    this.fields[idx] = { name: this.fields[idx].name, key, value, at: -1 };
    for (let i = this.fields.length - 1; i > idx; i--) if (this.fields[i].key === key) this.fields.splice(i, 1);
  }

  remove(name: string): void {
    const key = headerKey(name);
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i].key === key) this.fields.splice(i, 1);
  }

  has(name: string): boolean {
    const key = headerKey(name);
    return this.fields.some((f) => f.key === key);
  }

  /** The first line's value (whole line, not split), or undefined. */
  get(name: string): string | undefined {
    const key = headerKey(name);
    for (const f of this.fields) if (f.key === key) return f.value;
    return undefined;
  }

  /** Every value of a header, list headers split at top-level commas (RFC 3261 7.3.1). */
  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    const split = isListHeader(key);
    for (const f of this.fields) {
      if (f.key !== key) continue;
      if (split) for (const v of splitTopLevel(f.value, ',')) { if (v !== '') out.push(v); }
      else out.push(f.value);
    }
    return out;
  }

  /** Removes the first value of a list header (e.g. the top Via) and returns it. */
  shift(name: string): string | undefined {
    const key = headerKey(name);
    const idx = this.fields.findIndex((f) => f.key === key);
    if (idx < 0) return undefined;
    const values = splitTopLevel(this.fields[idx].value, ',');
    const first = values.shift();
    if (values.length === 0) this.fields.splice(idx, 1);
    else this.fields[idx] = { name: this.fields[idx].name, key, value: values.join(', '), at: -1 };
    return first;
  }

  entries(): ReadonlyArray<Readonly<HeaderField>> {
    return this.fields;
  }

  clone(): SipHeaders {
    const copy = new SipHeaders();
    copy.source = this.source;
    for (const f of this.fields) copy.fields.push({ ...f });
    return copy;
  }

  /**
   * Every line but `skipKey`'s as `name: value` CRLF (RFC 3261 7.3.1). Lines still as received and
   * adjacent in the received text are written as one piece of it.
   */
  lines(skipKey: string): string {
    let out = '';
    let runStart = -1;
    let runEnd = -1;
    for (const f of this.fields) {
      if (f.key === skipKey) continue;
      const len = f.name.length + f.value.length + 4;
      if (f.at >= 0 && f.at === runEnd) {
        runEnd += len;
        continue;
      }
      if (runStart >= 0) out += this.source.slice(runStart, runEnd);
      if (f.at >= 0) {
        runStart = f.at;
        runEnd = f.at + len;
      } else {
        runStart = runEnd = -1;
        out += `${f.name}: ${f.value}\r\n`;
      }
    }
    if (runStart >= 0) out += this.source.slice(runStart, runEnd);
    return out;
  }
}

/** Shared by every message without a body: a zero-length Buffer has no bytes to change. */
const NO_BODY = Buffer.alloc(0);

abstract class SipMessageBase {
  headers = new SipHeaders();
  body: Buffer = NO_BODY;

  abstract startLine(): string;

  get callId(): string {
    return this.headers.get('call-id') ?? '';
  }

  /** Top Via, parsed. Throws ParseError if missing or malformed. */
  get topVia(): Via {
    const v = this.headers.getAll('via')[0];
    if (v === undefined) throw new TypeError('message has no Via');
    return parseVia(v);
  }

  get cseq(): CSeq {
    return parseCSeq(this.headers.get('cseq') ?? '');
  }

  get from(): NameAddr {
    return parseNameAddr(this.headers.get('from') ?? '');
  }

  get to(): NameAddr {
    return parseNameAddr(this.headers.get('to') ?? '');
  }

  get bodyText(): string | undefined {
    return this.body.length === 0 ? undefined : this.body.toString('utf8');
  }

  setBody(contentType: string, body: string | Buffer): void {
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.headers.set('content-type', contentType);
  }

  /** Serializes the message; Content-Length is always rewritten to the body size (RFC 3261 20.14). */
  encode(): Buffer {
    const head = `${this.startLine()}\r\n${this.headers.lines('content-length')}Content-Length: ${this.body.length}\r\n\r\n`;
    // One allocation: header text and body copied into a buffer of the exact size.
    const headLen = Buffer.byteLength(head, 'utf8');
    const out = Buffer.allocUnsafe(headLen + this.body.length);
    out.write(head, 0, headLen, headLen === head.length ? 'latin1' : 'utf8'); // ASCII: latin1 is the same bytes, faster
    if (this.body.length > 0) this.body.copy(out, headLen);
    return out;
  }

  toString(): string {
    return this.encode().toString('utf8');
  }
}

export class SipRequest extends SipMessageBase {
  readonly isRequest = true as const;
  /** The SIP-Version of a received request when it is not SIP/2.0 (answered 505, RFC 3261 8.2.2). */
  badVersion?: string;
  constructor(public method: string, public uri: string) {
    super();
  }

  startLine(): string {
    return `${this.method} ${this.uri} SIP/2.0`;
  }
}

export class SipResponse extends SipMessageBase {
  readonly isRequest = false as const;
  constructor(public status: number, public reason: string) {
    super();
  }

  startLine(): string {
    return `SIP/2.0 ${this.status} ${this.reason}`;
  }
}

export type SipMessage = SipRequest | SipResponse;

/** Default reason phrases (RFC 3261 21). */
export const REASON_PHRASES: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout', 410: 'Gone',
  413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme',
  420: 'Bad Extension', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 500: 'Server Internal Error',
  501: 'Not Implemented', 503: 'Service Unavailable', 504: 'Server Time-out', 505: 'Version Not Supported',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Error');
}

/**
 * Builds a response to `req` (RFC 3261 8.2.6.2): Via, From, To, Call-ID and CSeq copied; a To tag
 * added when given and absent.
 */
export function createResponse(req: SipRequest, status: number, reason?: string, toTag?: string): SipResponse {
  const res = new SipResponse(status, reason ?? reasonPhrase(status));
  for (const v of req.headers.getAll('via')) res.headers.append('Via', v);
  const from = req.headers.get('from');
  if (from !== undefined) res.headers.append('From', from);
  let to = req.headers.get('to');
  if (to !== undefined && toTag !== undefined && status > 100) {
    try {
      if (!parseNameAddr(to).params.has('tag')) to = `${to};tag=${toTag}`;
    } catch { /* leave a malformed To as it was */ }
  }
  if (to !== undefined) res.headers.append('To', to);
  res.headers.append('Call-ID', req.callId);
  const cseq = req.headers.get('cseq');
  if (cseq !== undefined) res.headers.append('CSeq', cseq);
  return res;
}

/**
 * SIP message parser (RFC 3261 7, 18.3). Never throws: malformed input becomes a typed outcome
 * telling the transport whether a response can be built (`reject`) or the bytes must be dropped.
 * One pass over the header text (Buffer decoded once); header values are kept raw and parsed
 * by the grammar scanners only where the stack needs them. The syntax checks the stack relies on
 * run in that same pass (message-checks.ts), on the received bytes when the header is ASCII.
 */
import { ParseError } from './errors.ts';
import { fieldOf, headerKey, matchKnownHeader, matchKnownHeaderBytes } from './header-names.ts';
import { SipRequest, SipResponse, type SipHeaders, type SipMessage } from './message.ts';
import { isToken, parseUnsigned } from './grammar.ts';
import { checkRequest, checkResponse, HeaderSummary } from './message-checks.ts';

export type ParseOutcome =
  | { kind: 'message'; message: SipMessage }
  /** A request good enough to answer: send `error.status` (400, 505) with `error.message` as reason. */
  | { kind: 'reject'; request: SipRequest; error: ParseError }
  | { kind: 'drop'; error: ParseError };

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

/** A ParseError without a stack trace: malformed input is expected, not exceptional. */
export function parseError(message: string, status?: number): ParseError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ParseError(message, status === undefined ? undefined : { status });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Index just past the empty line ending the header section, with the header length; undefined if none. */
export function findHeaderEnd(buf: Buffer, from = 0): { headLen: number; bodyStart: number } | undefined {
  const crlf = buf.indexOf(CRLF2, from);
  // A bare-LF blank line only counts if it comes before the first CRLFCRLF.
  const lfScope = crlf < 0 ? buf : buf.subarray(0, crlf + 2);
  const lf = lfScope.indexOf(LF2, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { headLen: lf - from, bodyStart: lf + 2 };
  return { headLen: crlf - from, bodyStart: crlf + 4 };
}

interface Head {
  end?: { headLen: number; bodyStart: number };
  head: string;
  /** Every byte of the header section is ASCII, so `head[i]` is the byte at `start + i`. */
  ascii: boolean;
}

/**
 * Whether `text`, decoded from `byteLen` bytes of UTF-8, came from ASCII only: each non-ASCII
 * character takes more bytes than UTF-16 units, and each invalid byte decodes to U+FFFD.
 */
function decodedFromAscii(text: string, byteLen: number): boolean {
  return text.length === byteLen && text.indexOf('\ufffd') < 0;
}

/**
 * The header section as text, decoded once, and where the body starts. `fast`: up to the first
 * CRLFCRLF, taking on trust that no bare-LF blank line comes earlier (readHeaders reports one if
 * it does, and the parse starts again without `fast`).
 */
function readHead(input: Buffer, start: number, fast: boolean): Head {
  const crlf = fast ? input.indexOf(CRLF2, start) : -1;
  if (crlf >= 0) {
    const head = input.toString('utf8', start, crlf);
    return { end: { headLen: crlf - start, bodyStart: crlf + 4 }, head, ascii: decodedFromAscii(head, crlf - start) };
  }
  const end = findHeaderEnd(input, start);
  const stop = end ? start + end.headLen : input.length;
  const head = input.toString('utf8', start, stop);
  return { end, head, ascii: decodedFromAscii(head, stop - start) };
}

function skipLeadingCrlf(buf: Buffer): number {
  let i = 0;
  // RFC 3261 7.5: implementations SHOULD ignore CRLFs preceding the start line.
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Strips SIP LWS (SP, HT, CR, LF) only: String.trim() would also eat a value's U+FEFF (RFC 4475 3.1.1.2). */
function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isLwsCode(s.charCodeAt(a))) a++;
  while (b > a && isLwsCode(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isLwsCode(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

type StartLine = { message: SipMessage; problem?: string } | { drop: string };

/** RFC 3261 7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase. */
function parseStatusLine(line: string): StartLine {
  const sp1 = line.indexOf(' ');
  if (sp1 < 0 || line.slice(0, sp1) !== 'SIP/2.0') return { drop: 'bad response version' };
  const sp2 = line.indexOf(' ', sp1 + 1);
  const codeText = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
  const status = parseUnsigned(codeText);
  // RFC 4475 3.1.2.19: an overlarge code (more than 3 digits) is dropped.
  if (codeText.length !== 3 || status === undefined || status < 100) return { drop: 'bad status code' };
  return { message: new SipResponse(status, sp2 < 0 ? '' : line.slice(sp2 + 1)) };
}

function isSipScheme(uri: string): boolean {
  const lower = uri.slice(0, 5).toLowerCase();
  return lower.startsWith('sip:') || lower === 'sips:';
}

/** What is wrong with the Request-URI text between the two separating SPs (RFC 4475 3.1.2.7-11). */
function requestUriProblem(uri: string): string | undefined {
  if (uri === '') return 'empty Request-URI';
  if (isWsCode(uri.charCodeAt(0)) || isWsCode(uri.charCodeAt(uri.length - 1))) return 'multiple SP in Request-Line';
  if (uri.indexOf(' ') >= 0 || uri.indexOf('\t') >= 0) return 'whitespace in Request-URI';
  if (uri.charCodeAt(0) === 0x3c) return 'Request-URI enclosed in <>';
  // RFC 3261 19.1.1 (table 1): headers are not allowed in a SIP/SIPS Request-URI. The user part
  // may hold "?" (RFC 3261 25.1 user-unreserved); headers follow the hostport.
  if (uri.indexOf('?') >= 0 && isSipScheme(uri) && uri.indexOf('?', uri.lastIndexOf('@') + 1) >= 0) {
    return 'headers in Request-URI';
  }
  return undefined;
}

/** RFC 3261 7.1: Method SP Request-URI SP SIP-Version, single spaces, nothing after the version. */
function parseRequestLine(line: string): StartLine {
  const sp1 = line.indexOf(' ');
  const method = sp1 <= 0 ? '' : line.slice(0, sp1);
  if (!isToken(method)) return { drop: 'not a SIP start line' };
  let end = line.length;
  while (end > sp1 && isWsCode(line.charCodeAt(end - 1))) end--;
  const sp2 = line.lastIndexOf(' ', end - 1);
  const version = sp2 > sp1 ? line.slice(sp2 + 1, end) : '';
  if (version !== 'SIP/2.0' && (version.length < 4 || version.slice(0, 4).toUpperCase() !== 'SIP/')) {
    return { drop: 'not a SIP start line' };
  }
  const rawUri = line.slice(sp1 + 1, sp2);
  const problem = end < line.length ? 'trailing whitespace in Request-Line' : requestUriProblem(rawUri);
  const uri = problem === undefined ? rawUri : rawUri.trim();
  if (uri === '') return { drop: 'not a SIP start line' };
  const req = new SipRequest(method, uri);
  if (version !== 'SIP/2.0') req.badVersion = version;
  return { message: req, problem };
}

/** What header lines are added to, and where their bytes are. */
interface HeaderSink {
  headers: SipHeaders;
  sum: HeaderSummary;
  /** The received bytes, when `head[i]` is the byte at `src[base + i]` (ASCII); else undefined. */
  src: Uint8Array | undefined;
  base: number;
  /** Set when an empty line (a bare-LF blank line, "\n\n") is met: the header section ended earlier. */
  blankLine: boolean;
}

/**
 * Reads header lines from `pos` to the end of `head` into the sink, unfolding continuation lines
 * (RFC 3261 7.3.1: a line starting with SP/HT continues the previous one). Returns the first
 * problem found; well-formed lines are kept so a reply can still be built.
 */
function readHeaders(sink: HeaderSink, head: string, pos: number): string | undefined {
  let problem: string | undefined;
  const n = head.length;
  while (pos < n) {
    let eol = head.indexOf('\n', pos);
    if (eol < 0) eol = n;
    if (eol === pos) {
      sink.blankLine = true;
      return problem;
    }
    const lineStart = pos;
    pos = eol + 1;
    if (pos < n && isWsCode(head.charCodeAt(pos))) {
      // Folded: gather the continuation lines (rare path).
      let line = head.slice(lineStart, eol);
      while (pos < n && isWsCode(head.charCodeAt(pos))) {
        let next = head.indexOf('\n', pos);
        if (next < 0) next = n;
        const cont = trimLws(head.slice(pos, next));
        if (cont !== '') line = `${trimLws(line)} ${cont}`;
        pos = next + 1;
      }
      const bad = addHeaderLine(sink, line, 0, line.length, false);
      problem ??= bad;
    } else {
      const bad = addHeaderLine(sink, head, lineStart, eol, true);
      problem ??= bad;
    }
  }
  return problem;
}

/**
 * Adds the header line `text[start, end)`; returns a problem when it is not `name HCOLON value`.
 * `inHead`: `text` is the decoded header section itself (not an unfolded copy).
 */
function addHeaderLine(sink: HeaderSink, text: string, start: number, end: number, inHead: boolean): string | undefined {
  const lineEnd = end;
  while (end > start && isLwsCode(text.charCodeAt(end - 1))) end--;
  if (end === start) return undefined;
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon >= end) return 'malformed header line';
  let nameEnd = colon;
  // RFC 3261 25.1 HCOLON = *( SP / HTAB ) ":" SWS
  while (nameEnd > start && isWsCode(text.charCodeAt(nameEnd - 1))) nameEnd--;
  let valueStart = colon + 1;
  while (valueStart < end && isLwsCode(text.charCodeAt(valueStart))) valueStart++;
  const value = text.slice(valueStart, end);
  const src = inHead ? sink.src : undefined;
  const known = (src === undefined ? undefined : matchKnownHeaderBytes(src, sink.base + start, sink.base + nameEnd))
    ?? matchKnownHeader(text, start, nameEnd);
  // Where the received line stands when it is already what encode() writes: "name: value" CRLF.
  const at = inHead && nameEnd - start > 1 && colon === nameEnd && valueStart === colon + 2
    && text.charCodeAt(colon + 1) === 0x20 && end === lineEnd - 1 && lineEnd < text.length && text.charCodeAt(end) === 0x0d
    ? start : -1;
  if (known !== undefined) {
    sink.headers.appendField(known.name, known.key, value, at);
    sink.sum.add(known.field, value, src, sink.base + valueStart);
    return undefined;
  }
  const name = text.slice(start, nameEnd);
  if (!isToken(name)) return 'malformed header line';
  const key = headerKey(name);
  sink.headers.appendField(name, key, value, at);
  sink.sum.add(fieldOf(key), value, src, sink.base + valueStart);
  return undefined;
}

/** Applies Content-Length framing to the bytes after the header section (RFC 3261 18.3, 20.14). */
function frameBody(msg: SipMessage, sum: HeaderSummary, buf: Buffer, bodyStart: number, stream: boolean): string | undefined {
  const available = buf.length - bodyStart;
  if (sum.contentLength === undefined) {
    if (stream) return 'missing Content-Length on stream transport';
    msg.body = buf.subarray(bodyStart);
    return undefined;
  }
  // RFC 4475 3.3.9: several Content-Length values make the framing unknowable.
  if (sum.repeated === 'Content-Length') return 'multiple Content-Length headers';
  const cl = parseUnsigned(sum.contentLength);
  if (cl === undefined) return 'bad Content-Length';
  if (cl > available) {
    msg.body = buf.subarray(bodyStart);
    return 'Content-Length larger than body';
  }
  // RFC 3261 18.3: bytes beyond Content-Length in a datagram MUST be discarded.
  msg.body = buf.subarray(bodyStart, bodyStart + cl);
  return undefined;
}

/** Parses one complete message (one datagram, or one frame cut by `StreamFramer`). */
export function parseMessage(input: Buffer, opts?: { stream?: boolean }): ParseOutcome {
  try {
    return parseUnsafe(input, opts?.stream ?? false);
  } catch (e) {
    const error = e instanceof ParseError ? e : new ParseError('parser failure', { cause: e });
    return { kind: 'drop', error };
  }
}

function parseUnsafe(input: Buffer, stream: boolean, fast = true): ParseOutcome {
  const start = skipLeadingCrlf(input);
  if (start >= input.length) return { kind: 'drop', error: parseError('empty message') };
  const { end, head, ascii } = readHead(input, start, fast);
  let eol = head.indexOf('\n');
  if (eol < 0) eol = head.length;
  const firstLine = head.slice(0, eol > 0 && head.charCodeAt(eol - 1) === 0x0d ? eol - 1 : eol);
  const first = firstLine.startsWith('SIP/') ? parseStatusLine(firstLine) : parseRequestLine(firstLine);
  if ('drop' in first) return { kind: 'drop', error: parseError(first.drop) };
  const msg = first.message;
  const sum = new HeaderSummary(msg.isRequest);
  msg.headers.receivedFrom(head);
  const sink: HeaderSink = { headers: msg.headers, sum, src: ascii ? input : undefined, base: start, blankLine: false };
  let problem = readHeaders(sink, head, eol + 1);
  // RFC 3261 7.5 / 18.3: a bare-LF blank line ends the header section (rare): read it again so.
  if (sink.blankLine && fast) return parseUnsafe(input, stream, false);
  if (!end) problem ??= 'missing empty line after headers';
  else problem ??= frameBody(msg, sum, input, end.bodyStart, stream);
  if (!msg.isRequest) {
    // RFC 3261 18.3: a malformed response is discarded.
    const bad = problem ?? checkResponse(sum);
    return bad === undefined ? { kind: 'message', message: msg } : { kind: 'drop', error: parseError(bad) };
  }
  const verdict = checkRequest(msg, sum, first.problem);
  if (verdict?.drop) return { kind: 'drop', error: parseError(verdict.drop) };
  if (verdict?.reject) return { kind: 'reject', request: msg, error: parseError(verdict.reject, verdict.status) };
  if (problem) return { kind: 'reject', request: msg, error: parseError(problem) };
  return { kind: 'message', message: msg };
}

/**
 * Reads Content-Length from a raw header section without a full parse (stream framing).
 * RFC 4475 3.3.9: more than one Content-Length leaves the framing unknowable ('bad').
 */
function scanContentLength(head: string): number | 'missing' | 'bad' {
  let found: number | 'missing' = 'missing';
  let pos = 0;
  while (pos < head.length) {
    let eol = head.indexOf('\n', pos);
    if (eol < 0) eol = head.length;
    const colon = head.indexOf(':', pos);
    if (colon >= 0 && colon < eol && headerKey(head.slice(pos, colon).trim()) === 'content-length') {
      const n = parseUnsigned(head.slice(colon + 1, eol).trim());
      if (n === undefined || found !== 'missing') return 'bad';
      found = n;
    }
    pos = eol + 1;
  }
  return found;
}

export type FrameEvent =
  | { kind: 'message'; bytes: Buffer }
  /** RFC 5626 3.5.1: a double-CRLF ping, to be answered with a single CRLF pong. */
  | { kind: 'ping' }
  /** Framing is lost: the connection must be closed. */
  | { kind: 'error'; error: ParseError };

/** Cuts a TCP byte stream into messages by Content-Length (RFC 3261 18.3). */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageBytes = 65535) {}

  push(chunk: Buffer): FrameEvent[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FrameEvent[] = [];
    for (;;) {
      const ev = this.next();
      if (!ev) break;
      events.push(ev);
      if (ev.kind === 'error') break;
    }
    return events;
  }

  private next(): FrameEvent | undefined {
    if (this.buf.length >= 4 && this.buf.subarray(0, 4).equals(CRLF2)) {
      this.buf = this.buf.subarray(4);
      return { kind: 'ping' };
    }
    const skip = skipLeadingCrlf(this.buf);
    if (skip > 0 && skip < this.buf.length) this.buf = this.buf.subarray(skip);
    else if (skip > 0 && skip >= 4) this.buf = Buffer.alloc(0);
    if (this.buf.length === 0 || skip >= this.buf.length) return undefined;
    const end = findHeaderEnd(this.buf);
    if (!end) {
      if (this.buf.length > this.maxMessageBytes) return this.fail('header section too large');
      return undefined;
    }
    const cl = scanContentLength(this.buf.toString('utf8', 0, end.headLen));
    if (cl === 'bad') return this.fail('bad Content-Length on stream');
    const bodyLen = cl === 'missing' ? 0 : cl;
    const total = end.bodyStart + bodyLen;
    if (total > this.maxMessageBytes) return this.fail('message too large');
    if (this.buf.length < total) return undefined;
    const bytes = this.buf.subarray(0, total);
    this.buf = this.buf.subarray(total);
    return { kind: 'message', bytes };
  }

  private fail(reason: string): FrameEvent {
    this.buf = Buffer.alloc(0);
    return { kind: 'error', error: parseError(reason) };
  }
}

/**
 * SIP message parser (RFC 3261 7, 18.3). Never throws: malformed input becomes a typed outcome
 * telling the transport whether a response can be built (`reject`) or the bytes must be dropped.
 */
import { ParseError } from './errors.ts';
import { headerKey } from './header-names.ts';
import { SipRequest, SipResponse, type SipMessage } from './message.ts';
import { isToken, parseCSeq, parseNameAddr, parseUnsigned, parseVia } from './grammar.ts';

export type ParseOutcome =
  | { kind: 'message'; message: SipMessage }
  /** A request good enough to answer: send `error.status` (400, 505) with `error.message` as reason. */
  | { kind: 'reject'; request: SipRequest; error: ParseError }
  | { kind: 'drop'; error: ParseError };

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

/** Index just past the empty line ending the header section, with the header length; -1 if none. */
export function findHeaderEnd(buf: Buffer, from = 0): { headLen: number; bodyStart: number } | undefined {
  const crlf = buf.indexOf(CRLF2, from);
  const lf = buf.indexOf(LF2, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (lf >= 0 && (crlf < 0 || lf < crlf)) return { headLen: lf - from, bodyStart: lf + 2 };
  return { headLen: crlf - from, bodyStart: crlf + 4 };
}

function skipLeadingCrlf(buf: Buffer): number {
  let i = 0;
  // RFC 3261 7.5: implementations SHOULD ignore CRLFs preceding the start line.
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/** Parses the start line into an empty message, or explains why it is not SIP. */
function parseStartLine(line: string): SipMessage | ParseError {
  if (line.startsWith('SIP/')) {
    const sp1 = line.indexOf(' ');
    if (sp1 < 0 || line.slice(0, sp1) !== 'SIP/2.0') return new ParseError('bad response version');
    const sp2 = line.indexOf(' ', sp1 + 1);
    const codeText = sp2 < 0 ? line.slice(sp1 + 1) : line.slice(sp1 + 1, sp2);
    const status = parseUnsigned(codeText);
    if (codeText.length !== 3 || status === undefined || status < 100) return new ParseError('bad status code');
    return new SipResponse(status, sp2 < 0 ? '' : line.slice(sp2 + 1));
  }
  // RFC 3261 7.1: Method SP Request-URI SP SIP-Version, single spaces.
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0) return new ParseError('not a SIP start line');
  const method = line.slice(0, sp1);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method) || uri === '' || !version.toUpperCase().startsWith('SIP/')) {
    return new ParseError('not a SIP start line');
  }
  const req = new SipRequest(method, uri);
  if (version !== 'SIP/2.0') (req as SipRequestWithVersion).badVersion = version;
  return req;
}

type SipRequestWithVersion = SipRequest & { badVersion?: string };

/** Splits header text into unfolded lines (RFC 3261 7.3.1 line folding). */
function unfoldLines(head: string): string[] {
  const raw = head.split('\n');
  const lines: string[] = [];
  for (let line of raw) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else if (line !== '') lines.push(line);
  }
  return lines;
}

/** Fills headers; returns the first problem found (the message stays usable for a reply). */
function parseHeaderLines(msg: SipMessage, lines: string[]): ParseError | undefined {
  let problem: ParseError | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (colon < 0 || !isToken(name)) {
      problem ??= new ParseError('malformed header line');
      continue;
    }
    msg.headers.append(name, line.slice(colon + 1).trim());
  }
  return problem;
}

/** Checks what a request needs before a response can be built (RFC 3261 8.1.1, 8.2.6). */
function answerability(req: SipRequest): ParseError | undefined {
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (!req.headers.has(h) || req.headers.get(h) === '') return new ParseError(`missing ${h} header`);
  }
  try {
    parseVia(req.headers.getAll('via')[0] ?? '');
  } catch {
    return new ParseError('malformed Via header');
  }
  return undefined;
}

/** Semantic checks on an answerable request; each names the problem in the 400 reason. */
function validateRequest(req: SipRequest): ParseError | undefined {
  const version = (req as SipRequestWithVersion).badVersion;
  // RFC 3261 8.2.2 / 21.5.20
  if (version !== undefined) return new ParseError('Version Not Supported', { status: 505 });
  let cseq;
  try {
    cseq = parseCSeq(req.headers.get('cseq') ?? '');
  } catch (e) {
    return e as ParseError;
  }
  if (cseq.method !== req.method) return new ParseError('CSeq method does not match request method');
  for (const h of ['from', 'to']) {
    try {
      parseNameAddr(req.headers.get(h) ?? '');
    } catch {
      return new ParseError(`malformed ${h === 'from' ? 'From' : 'To'} header`);
    }
  }
  if (req.headers.getAll('call-id').length > 1) return new ParseError('multiple Call-ID headers');
  const mf = req.headers.get('max-forwards');
  if (mf !== undefined && parseUnsigned(mf) === undefined) return new ParseError('bad Max-Forwards');
  return undefined;
}

/** Applies Content-Length framing to the bytes after the header section (RFC 3261 18.3, 20.14). */
function frameBody(msg: SipMessage, buf: Buffer, bodyStart: number, stream: boolean): ParseError | undefined {
  const clValues = msg.headers.getAll('content-length');
  const available = buf.length - bodyStart;
  if (clValues.length === 0) {
    if (stream) return new ParseError('missing Content-Length on stream transport');
    msg.body = buf.subarray(bodyStart);
    return undefined;
  }
  const cl = parseUnsigned(clValues[0]);
  if (cl === undefined || clValues.length > 1) return new ParseError('bad Content-Length');
  if (cl > available) {
    msg.body = buf.subarray(bodyStart);
    return new ParseError('Content-Length larger than body');
  }
  // RFC 3261 18.3: bytes beyond Content-Length in a datagram MUST be discarded.
  msg.body = buf.subarray(bodyStart, bodyStart + cl);
  return undefined;
}

/** Parses one complete message (one datagram, or one frame cut by `StreamFramer`). */
export function parseMessage(input: Buffer, opts: { stream?: boolean } = {}): ParseOutcome {
  try {
    return parseUnsafe(input, opts.stream ?? false);
  } catch (e) {
    const error = e instanceof ParseError ? e : new ParseError('parser failure', { cause: e });
    return { kind: 'drop', error };
  }
}

function parseUnsafe(input: Buffer, stream: boolean): ParseOutcome {
  const start = skipLeadingCrlf(input);
  if (start >= input.length) return { kind: 'drop', error: new ParseError('empty message') };
  const end = findHeaderEnd(input, start);
  const headEnd = end ? start + end.headLen : input.length;
  const head = input.toString('utf8', start, headEnd);
  const lines = unfoldLines(head);
  const first = parseStartLine(lines[0] ?? '');
  if (first instanceof ParseError) return { kind: 'drop', error: first };
  const msg = first;
  let problem = parseHeaderLines(msg, lines);
  if (!end) problem ??= new ParseError('missing empty line after headers');
  else problem ??= frameBody(msg, input, end.bodyStart, stream);
  if (!msg.isRequest) {
    // RFC 3261 18.3: a malformed response is discarded.
    if (problem) return { kind: 'drop', error: problem };
    try {
      parseVia(msg.headers.getAll('via')[0] ?? '');
      parseCSeq(msg.headers.get('cseq') ?? '');
    } catch (e) {
      return { kind: 'drop', error: e as ParseError };
    }
    return { kind: 'message', message: msg };
  }
  const unanswerable = answerability(msg);
  if (unanswerable) return { kind: 'drop', error: unanswerable };
  problem = validateRequest(msg) ?? problem;
  if (problem) return { kind: 'reject', request: msg, error: problem };
  return { kind: 'message', message: msg };
}

/** Reads Content-Length from a raw header section without a full parse (stream framing). */
function scanContentLength(head: string): number | 'missing' | 'bad' {
  for (const raw of head.split('\n')) {
    const colon = raw.indexOf(':');
    if (colon < 0) continue;
    if (headerKey(raw.slice(0, colon).trim()) !== 'content-length') continue;
    const n = parseUnsigned(raw.slice(colon + 1).trim());
    return n === undefined ? 'bad' : n;
  }
  return 'missing';
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
    return { kind: 'error', error: new ParseError(reason) };
  }
}

/**
 * Semantic checks a parsed message must pass before the stack acts on it (RFC 3261 8.2, 18.3,
 * RFC 4475 3.1.2 and 3.3). A request whose top Via can be read is answerable: its problems become
 * a 400 (or 505) naming the problem; one without a usable Via is dropped. Responses are dropped.
 * The parser feeds every header field to a HeaderSummary as it reads it, so the strict syntax
 * checks run in that same pass, on the received bytes; the verdict then only reads the summary.
 */
import { Field } from './header-names.ts';
import { parseCSeq, parseUnsigned, parseVia, splitTopLevel } from './grammar.ts';
import type { SipRequest } from './message.ts';
import { nameAddrProblem, viaLineProblem } from './strict-checks.ts';

/** Canonical names of the header fields that may appear once only (RFC 3261 7.3.1, 20; RFC 4475 3.3.8). */
const SINGLE_NAME: Partial<Record<Field, string>> = {
  [Field.callId]: 'Call-ID', [Field.cseq]: 'CSeq', [Field.from]: 'From', [Field.to]: 'To',
  [Field.maxForwards]: 'Max-Forwards', [Field.contentLength]: 'Content-Length',
};

type ByteCheck = (b: Uint8Array, start: number, end: number) => string | undefined;

/**
 * Runs a strict check on a value's bytes: in place in the received buffer when `src` holds the
 * value as is (`src[start, start + value.length)`), else on its UTF-8 encoding.
 */
function check(scan: ByteCheck, value: string, src: Uint8Array | undefined, start: number): string | undefined {
  if (src !== undefined) return scan(src, start, start + value.length);
  const b = Buffer.from(value, 'utf8');
  return scan(b, 0, b.length);
}

/**
 * The header values the checks read, gathered field by field while the parser reads the header
 * section. With `strict` (requests), the Via, From, To and Contact syntax is checked as each field
 * is added (RFC 3261 25.1 via strict-checks.ts).
 */
export class HeaderSummary {
  /** First Via header line (may hold several comma-separated values). */
  via: string | undefined = undefined;
  from: string | undefined = undefined;
  to: string | undefined = undefined;
  callId: string | undefined = undefined;
  cseq: string | undefined = undefined;
  maxForwards: string | undefined = undefined;
  contentLength: string | undefined = undefined;
  /** Canonical name of the first single-value header seen twice. */
  repeated: string | undefined = undefined;
  /** What is wrong with the first Via line (strict only). */
  topViaProblem: string | undefined = undefined;
  /** The first malformed later Via line, From, To or Contact, in header order, as a 400 reason (strict only). */
  fieldProblem: string | undefined = undefined;

  constructor(private readonly strict: boolean) {}

  /**
   * Notes one header field. `src[start, start + value.length)` holds the value's bytes when the
   * caller knows they equal the text (ASCII, not folded); pass `src` undefined otherwise.
   */
  add(field: Field, value: string, src: Uint8Array | undefined, start: number): void {
    switch (field) {
      case Field.other: return;
      case Field.via:
        if (this.via === undefined) {
          this.via = value;
          if (this.strict) this.topViaProblem = check(viaLineProblem, value, src, start);
        } else if (this.strict && this.fieldProblem === undefined) {
          const problem = check(viaLineProblem, value, src, start);
          if (problem !== undefined) this.fieldProblem = `malformed Via header: ${problem}`;
        }
        return;
      case Field.contact:
        if (this.strict && this.fieldProblem === undefined && value !== '*') {
          const problem = contactLineProblem(value, src, start);
          if (problem !== undefined) this.fieldProblem = `malformed Contact header: ${problem}`;
        }
        return;
      case Field.from:
      case Field.to:
        if (this.strict && this.fieldProblem === undefined) {
          const problem = check(nameAddrProblem, value, src, start);
          if (problem !== undefined) this.fieldProblem = `malformed ${SINGLE_NAME[field]} header: ${problem}`;
        }
        break;
    }
    this.addSingle(field, value);
  }

  /** Records a single-value header, or notes it as repeated. */
  private addSingle(field: Field, value: string): void {
    switch (field) {
      case Field.from: if (this.from === undefined) { this.from = value; return; } break;
      case Field.to: if (this.to === undefined) { this.to = value; return; } break;
      case Field.callId: if (this.callId === undefined) { this.callId = value; return; } break;
      case Field.cseq: if (this.cseq === undefined) { this.cseq = value; return; } break;
      case Field.maxForwards: if (this.maxForwards === undefined) { this.maxForwards = value; return; } break;
      case Field.contentLength: if (this.contentLength === undefined) { this.contentLength = value; return; } break;
      default: return;
    }
    this.repeated ??= SINGLE_NAME[field];
  }
}

function firstListValue(line: string): string {
  return line.indexOf(',') < 0 ? line : splitTopLevel(line, ',')[0];
}

/** Whether `text` scans as `scan` expects (the grammar scanners throw ParseError). */
function scans(scan: (v: string) => unknown, text: string): string | undefined {
  try {
    scan(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** RFC 3261 18.3: a response without a readable top Via and CSeq is discarded. */
export function checkResponse(sum: HeaderSummary): string | undefined {
  if (sum.via === undefined) return 'missing via header';
  return scans(parseVia, firstListValue(sum.via)) ?? (sum.cseq === undefined ? 'missing cseq header' : scans(parseCSeq, sum.cseq));
}

export type RequestVerdict = { drop?: string; reject?: string; status?: number } | undefined;

/** Problems in the header fields only, in the order a reply names them. */
function headerProblem(req: SipRequest, sum: HeaderSummary): string | undefined {
  // RFC 4475 3.3.1: missing required fields; ideally a 400 when it can be routed.
  if (!sum.from) return 'missing from header';
  if (!sum.to) return 'missing to header';
  if (!sum.callId) return 'missing call-id header';
  if (!sum.cseq) return 'missing cseq header';
  if (sum.repeated !== undefined && sum.repeated !== 'Content-Length') return `multiple ${sum.repeated} headers`;
  let cseq;
  try {
    cseq = parseCSeq(sum.cseq);
  } catch (e) {
    return (e as Error).message;
  }
  // RFC 4475 3.1.2.17-18: start-line method and CSeq method must match.
  if (cseq.method !== req.method) return 'CSeq method does not match request method';
  if (sum.fieldProblem !== undefined) return sum.fieldProblem;
  // RFC 4475 3.1.2.4: a Max-Forwards out of range alone could be ignored; garbage cannot.
  if (sum.maxForwards !== undefined && parseUnsigned(sum.maxForwards) === undefined) return 'bad Max-Forwards';
  return undefined;
}

/** A Contact line: one value checked in place, or a comma-separated list (RFC 3261 20.10). */
function contactLineProblem(line: string, src: Uint8Array | undefined, start: number): string | undefined {
  if (line.indexOf(',') < 0) return check(nameAddrProblem, line, src, start);
  for (const value of splitTopLevel(line, ',')) {
    const problem = value === '' ? 'empty Contact value' : check(nameAddrProblem, value, undefined, 0);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Decides what to do with a parsed request: undefined when it is fine, `drop` when no reply can
 * be routed (no readable top Via), otherwise `reject` with the status and reason to send.
 * `sum` must have been gathered with `strict`.
 */
export function checkRequest(req: SipRequest, sum: HeaderSummary, startLineProblem: string | undefined): RequestVerdict {
  if (sum.via === undefined || sum.via === '') return { drop: 'missing via header' };
  const topViaProblem = sum.topViaProblem;
  // A top Via too broken to route a reply to: nothing can be answered.
  if (topViaProblem !== undefined && scans(parseVia, firstListValue(sum.via)) !== undefined) {
    return { drop: 'malformed Via header' };
  }
  // RFC 3261 8.2.2 / 21.5.20 (RFC 4475 3.1.2.16)
  if (req.badVersion !== undefined) return { reject: 'Version Not Supported', status: 505 };
  if (startLineProblem !== undefined) return { reject: startLineProblem };
  const problem = topViaProblem === undefined ? headerProblem(req, sum) : `malformed Via header: ${topViaProblem}`;
  return problem === undefined ? undefined : { reject: problem };
}

/**
 * Semantic checks a parsed message must pass before the stack acts on it (RFC 3261 8.2, 18.3,
 * RFC 4475 3.1.2 and 3.3). A request whose top Via can be read is answerable: its problems become
 * a 400 (or 505) naming the problem; one without a usable Via is dropped. Responses are dropped.
 */
import { parseCSeq, parseUnsigned, parseVia, splitTopLevel } from './grammar.ts';
import type { SipHeaders, SipRequest } from './message.ts';
import { nameAddrProblem, viaLineProblem } from './strict-checks.ts';

/** Header fields that may appear once only (RFC 3261 7.3.1, 20; RFC 4475 3.3.8). */
const SINGLE: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', from: 'From', to: 'To', 'max-forwards': 'Max-Forwards',
  'content-length': 'Content-Length',
};

/** The header values the checks read, gathered in one pass over the fields. */
export interface HeaderSummary {
  /** First Via header line (may hold several comma-separated values). */
  via?: string;
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
  maxForwards?: string;
  contentLength?: string;
  /** Canonical name of the first single-value header seen twice. */
  repeated?: string;
}

export function summarize(headers: SipHeaders): HeaderSummary {
  const sum: HeaderSummary = {};
  for (const f of headers.entries()) {
    switch (f.key) {
      case 'via': sum.via ??= f.value; continue;
      case 'from': if (sum.from === undefined) { sum.from = f.value; continue; } break;
      case 'to': if (sum.to === undefined) { sum.to = f.value; continue; } break;
      case 'call-id': if (sum.callId === undefined) { sum.callId = f.value; continue; } break;
      case 'cseq': if (sum.cseq === undefined) { sum.cseq = f.value; continue; } break;
      case 'max-forwards': if (sum.maxForwards === undefined) { sum.maxForwards = f.value; continue; } break;
      case 'content-length': if (sum.contentLength === undefined) { sum.contentLength = f.value; continue; } break;
      default: continue;
    }
    sum.repeated ??= SINGLE[f.key];
  }
  return sum;
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
    cseq = parseCSeq(sum.cseq!);
  } catch (e) {
    return (e as Error).message;
  }
  // RFC 4475 3.1.2.17-18: start-line method and CSeq method must match.
  if (cseq.method !== req.method) return 'CSeq method does not match request method';
  let topVia = true; // already checked by checkRequest
  for (const f of req.headers.entries()) {
    let problem: string | undefined;
    if (f.key === 'via') {
      if (!topVia) problem = viaLineProblem(f.value);
      topVia = false;
    }
    else if (f.key === 'from' || f.key === 'to') problem = nameAddrProblem(f.value);
    else if (f.key === 'contact' && f.value !== '*') problem = contactLineProblem(f.value);
    if (problem !== undefined) return `malformed ${f.key === 'via' ? 'Via' : SINGLE[f.key] ?? 'Contact'} header: ${problem}`;
  }
  // RFC 4475 3.1.2.4: a Max-Forwards out of range alone could be ignored; garbage cannot.
  if (sum.maxForwards !== undefined && parseUnsigned(sum.maxForwards) === undefined) return 'bad Max-Forwards';
  return undefined;
}

function contactLineProblem(line: string): string | undefined {
  if (line.indexOf(',') < 0) return nameAddrProblem(line);
  for (const value of splitTopLevel(line, ',')) {
    const problem = value === '' ? 'empty Contact value' : nameAddrProblem(value);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Decides what to do with a parsed request: undefined when it is fine, `drop` when no reply can
 * be routed (no readable top Via), otherwise `reject` with the status and reason to send.
 */
export function checkRequest(req: SipRequest, sum: HeaderSummary, startLineProblem: string | undefined): RequestVerdict {
  if (sum.via === undefined || sum.via === '') return { drop: 'missing via header' };
  const topViaProblem = viaLineProblem(sum.via);
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

/**
 * Strict syntax checks on header values the stack answers for (RFC 3261 25.1). The grammar
 * scanners in grammar.ts are lenient so that a reply can still be routed; these checks say what is
 * wrong with a value (returned as a short reason for the 400), or undefined when it is well formed.
 * Linear scans, no regular expressions, no exceptions on the valid path.
 */
import { isToken, parseVia, splitTopLevel } from './grammar.ts';

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** RFC 3261 25.1 quoted-string: index just past the closing quote, or -1 if unterminated. */
function quotedStringEnd(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++; // quoted-pair
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** RFC 3261 25.1 display-name = *(token LWS) / quoted-string. */
function displayNameProblem(display: string): string | undefined {
  if (display === '') return undefined;
  if (display.charCodeAt(0) === 0x22) {
    return quotedStringEnd(display, 0) === display.length ? undefined : 'bad quoted display name';
  }
  let start = 0;
  for (let i = 0; i <= display.length; i++) {
    if (i === display.length || isWsCode(display.charCodeAt(i))) {
      if (i > start && !isToken(display.slice(start, i))) return 'non-token characters in display name';
      start = i + 1;
    }
  }
  return undefined;
}

/** RFC 3261 25.1 gen-value = token / host / quoted-string (host adds ":" "[" "]" for IPv6). */
function genValueProblem(value: string): string | undefined {
  if (value === '') return 'empty parameter value';
  if (value.charCodeAt(0) === 0x22) {
    return quotedStringEnd(value, 0) === value.length ? undefined : 'bad quoted parameter value';
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x3a || c === 0x5b || c === 0x5d) continue;
    if (!isToken(value[i])) return 'bad parameter value';
  }
  return undefined;
}

/** `;name[=value]...` after a URI or sent-by: no empty parameters (RFC 4475 3.1.2.1). */
export function paramsProblem(text: string): string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (t.charCodeAt(0) !== 0x3b) return 'unexpected text after address';
  const parts = splitTopLevel(t.slice(1), ';');
  for (const part of parts) {
    if (part === '') return 'empty parameter';
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!isToken(name)) return 'bad parameter name';
    if (eq >= 0) {
      const problem = genValueProblem(part.slice(eq + 1).trim());
      if (problem) return problem;
    }
  }
  return undefined;
}

function uriProblem(uri: string): string | undefined {
  if (uri === '') return 'empty URI';
  const colon = uri.indexOf(':');
  if (colon <= 0 || !isToken(uri.slice(0, colon))) return 'URI without scheme';
  for (let i = 0; i < uri.length; i++) if (isWsCode(uri.charCodeAt(i))) return 'whitespace in URI';
  return undefined;
}

/**
 * A From/To/Contact/Route value: name-addr or addr-spec with header parameters (RFC 3261 20.10,
 * 20.20, 20.39). RFC 3261 20.10 / RFC 8217: an addr-spec containing "," "?" or ";" must be in <>.
 */
export function nameAddrProblem(value: string): string | undefined {
  const text = value.trim();
  let lt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const end = quotedStringEnd(text, i);
      if (end < 0) return 'unterminated quoted string';
      i = end - 1;
    } else if (c === 0x3c) {
      lt = i;
      break;
    }
  }
  if (lt >= 0) {
    const gt = text.indexOf('>', lt);
    if (gt < 0) return 'missing ">"';
    const display = text.slice(0, lt).trim();
    const problem = displayNameProblem(display);
    if (problem) return problem;
    const uri = text.slice(lt + 1, gt);
    // RFC 4475 3.1.2.14: no LWS inside the angle brackets.
    if (uri.length > 0 && (isWsCode(uri.charCodeAt(0)) || isWsCode(uri.charCodeAt(uri.length - 1)))) {
      return 'spaces within addr-spec';
    }
    return uriProblem(uri) ?? paramsProblem(text.slice(gt + 1));
  }
  const semi = text.indexOf(';');
  const uri = (semi < 0 ? text : text.slice(0, semi)).trim();
  if (uri.indexOf('?') >= 0 || uri.indexOf(',') >= 0) return 'addr-spec with "?" or "," not enclosed in <>';
  return uriProblem(uri) ?? paramsProblem(semi < 0 ? '' : text.slice(semi));
}

/** One header line of Via values: each value non-empty and well formed (RFC 3261 20.42). */
export function viaLineProblem(line: string): string | undefined {
  for (const value of splitTopLevel(line, ',')) {
    if (value === '') return 'empty Via value';
    try {
      parseVia(value);
    } catch (e) {
      return (e as Error).message;
    }
    const semi = value.indexOf(';');
    if (semi >= 0) {
      const problem = paramsProblem(value.slice(semi));
      if (problem) return problem;
    }
  }
  return undefined;
}

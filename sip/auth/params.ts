/**
 * Digest challenge / credentials syntax (RFC 7616 3.3, 3.4; RFC 3261 25.1 `challenge`,
 * `credentials`): `Digest` followed by comma-separated auth-params whose values are tokens or
 * quoted strings. Linear scan, no regular expressions on hostile input.
 */

export interface DigestParams {
  scheme: string;
  /** Parameter names in lower case; quoted values unquoted and unescaped. */
  params: Map<string, string>;
}

/** Parses `Digest a=b, c="d"`; returns undefined when the syntax is broken. */
export function parseDigestHeader(value: string): DigestParams | undefined {
  const text = value.trim();
  const sp = firstWhitespace(text);
  if (sp <= 0) return undefined;
  const scheme = text.slice(0, sp);
  const params = new Map<string, string>();
  let i = sp;
  while (i < text.length) {
    i = skip(text, i, ' \t\r\n,');
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) return undefined;
    const name = text.slice(i, eq).trim().toLowerCase();
    if (name === '' || /[\s",]/.test(name)) return undefined;
    i = skip(text, eq + 1, ' \t');
    let val = '';
    if (text[i] === '"') {
      const end = readQuoted(text, i);
      if (end === undefined) return undefined;
      val = end.value;
      i = end.next;
    } else {
      const comma = text.indexOf(',', i);
      const stop = comma < 0 ? text.length : comma;
      val = text.slice(i, stop).trim();
      if (val === '' || /[\s"=]/.test(val)) return undefined; // RFC 3261 25.1: token
      i = stop;
    }
    if (params.has(name)) return undefined; // RFC 7616 3.4: each parameter at most once
    params.set(name, val);
    i = skip(text, i, ' \t');
    if (i < text.length && text[i] !== ',') return undefined;
  }
  return { scheme, params };
}

/** Formats params; names in `quoted` are written as quoted strings (RFC 7616 3.3, 3.4). */
export function formatDigestHeader(entries: [string, string, boolean][]): string {
  return 'Digest ' + entries.map(([k, v, q]) => (q ? `${k}=${quote(v)}` : `${k}=${v}`)).join(', ');
}

/** RFC 3261 25.1 quoted-string: `"` and `\` escaped with a backslash. */
export function quote(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function firstWhitespace(s: string): number {
  for (let i = 0; i < s.length; i++) if (s[i] === ' ' || s[i] === '\t') return i;
  return -1;
}

function skip(s: string, i: number, chars: string): number {
  while (i < s.length && chars.includes(s[i])) i++;
  return i;
}

function readQuoted(s: string, start: number): { value: string; next: number } | undefined {
  let out = '';
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (i + 1 >= s.length) return undefined;
      out += s[++i];
    } else if (c === '"') {
      return { value: out, next: i + 1 };
    } else {
      out += c;
    }
  }
  return undefined;
}

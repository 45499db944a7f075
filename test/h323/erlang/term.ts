// Erlang term text: printing terms for erl_parse:parse_term and reading the `~w` output of io_lib.

export type Term =
  | { t: 'int'; v: number }
  | { t: 'atom'; v: string }
  | { t: 'tuple'; items: Term[] }
  | { t: 'list'; items: Term[] }
  | { t: 'map'; entries: [Term, Term][] }
  | { t: 'bits'; bytes: number[]; tailBits: number; tail: number }; // <<bytes..., tail:tailBits>>

export function atomText(name: string): string {
  return `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function parseTerm(text: string): Term {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`Erlang term: ${what} at ${i}: ${text.slice(i, i + 40)}`);
  };
  const ws = () => {
    while (text[i] === ' ' || text[i] === '\n') i++;
  };
  const expect = (s: string) => {
    ws();
    if (!text.startsWith(s, i)) fail(`expected ${s}`);
    i += s.length;
  };
  const int = (): number => {
    ws();
    const m = /^-?\d+/.exec(text.slice(i, i + 40));
    if (!m) fail('expected an integer');
    i += m![0].length;
    return Number(m![0]);
  };
  const seq = (close: string, one: () => void) => {
    if (text.startsWith(close, i)) {
      i += close.length;
      return;
    }
    ws();
    if (text.startsWith(close, i)) {
      i += close.length;
      return;
    }
    for (;;) {
      one();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expect(close);
      return;
    }
  };
  const term = (): Term => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const items: Term[] = [];
      seq('}', () => items.push(term()));
      return { t: 'tuple', items };
    }
    if (c === '[') {
      i++;
      const items: Term[] = [];
      seq(']', () => items.push(term()));
      return { t: 'list', items };
    }
    if (text.startsWith('#{', i)) {
      i += 2;
      const entries: [Term, Term][] = [];
      seq('}', () => {
        const k = term();
        expect('=>');
        entries.push([k, term()]);
      });
      return { t: 'map', entries };
    }
    if (text.startsWith('<<', i)) {
      i += 2;
      const bytes: number[] = [];
      let tailBits = 0;
      let tail = 0;
      seq('>>', () => {
        const v = int();
        if (text[i] === ':') {
          i++;
          tailBits = int();
          tail = v;
        } else bytes.push(v);
      });
      return { t: 'bits', bytes, tailBits, tail };
    }
    if (c === "'") {
      i++;
      let s = '';
      while (text[i] !== "'") {
        if (i >= text.length) fail('unterminated atom');
        if (text[i] === '\\') i++;
        s += text[i++];
      }
      i++;
      return { t: 'atom', v: s };
    }
    if (c !== undefined && /[a-z]/.test(c)) {
      const m = /^[a-zA-Z0-9_@]+/.exec(text.slice(i))!;
      i += m[0].length;
      return { t: 'atom', v: m[0] };
    }
    return { t: 'int', v: int() };
  };
  const out = term();
  if (i !== text.length) fail('trailing text');
  return out;
}

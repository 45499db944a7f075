// Lexical items of X.680 12 for the subset the H.323 modules use.

export interface Token {
  kind: 'id' | 'num' | 'str' | 'sym' | 'eof';
  text: string;
  line: number;
}

const SYMBOLS = ['::=', '...', '..', '[[', ']]', '{', '}', '(', ')', '[', ']', ',', '.', ';', '|', '^', '&', '-', '<', '>', '!', '@', ':'];

export class AsnSyntaxError extends Error {
  override readonly name = 'AsnSyntaxError';
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') { // X.680 12.6.3: comment ends at the next "--" or the line end
      i += 2;
      while (i < n && text[i] !== '\n' && !(text[i] === '-' && text[i + 1] === '-')) i++;
      if (text[i] === '-') i += 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') { // 12.6.4
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let k = i; k < stop; k++) if (text[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (/[A-Za-z]/.test(c)) { // 12.2-12.3: letters, digits, single hyphens, no trailing hyphen
      let j = i + 1;
      while (j < n && (/[A-Za-z0-9]/.test(text[j]!) || (text[j] === '-' && text[j + 1] !== '-' && /[A-Za-z0-9]/.test(text[j + 1] ?? '')))) j++;
      tokens.push({ kind: 'id', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9]/.test(text[j]!)) j++;
      tokens.push({ kind: 'num', text: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (c === '"') { // 12.14 cstring, "" is a quote
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= n) throw new AsnSyntaxError(`line ${line}: unterminated string`);
        if (text[j] === '"') {
          if (text[j + 1] === '"') {
            s += '"';
            j += 2;
            continue;
          }
          break;
        }
        if (text[j] === '\n') line++;
        s += text[j];
        j++;
      }
      tokens.push({ kind: 'str', text: s, line });
      i = j + 1;
      continue;
    }
    const sym = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!sym) throw new AsnSyntaxError(`line ${line}: unexpected character ${JSON.stringify(c)}`);
    tokens.push({ kind: 'sym', text: sym, line });
    i += sym.length;
  }
  tokens.push({ kind: 'eof', text: '', line });
  return tokens;
}

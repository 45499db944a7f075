/**
 * Bencode (BitTorrent BEP 3), the encoding of rtpengine's ng control protocol: integers
 * i42e, strings 4:spam, lists l…e, dictionaries d…e with keys sorted.
 */
export type BValue = number | string | Buffer | BValue[] | { [key: string]: BValue };

export function bencode(v: BValue): Buffer {
  const parts: Buffer[] = [];
  const walk = (x: BValue): void => {
    if (typeof x === 'number') parts.push(Buffer.from(`i${Math.trunc(x)}e`));
    else if (typeof x === 'string' || Buffer.isBuffer(x)) {
      const b = Buffer.isBuffer(x) ? x : Buffer.from(x, 'utf8');
      parts.push(Buffer.from(`${b.length}:`), b);
    } else if (Array.isArray(x)) {
      parts.push(Buffer.from('l'));
      x.forEach(walk);
      parts.push(Buffer.from('e'));
    } else {
      parts.push(Buffer.from('d'));
      for (const k of Object.keys(x).sort()) { walk(k); walk(x[k]!); }
      parts.push(Buffer.from('e'));
    }
  };
  walk(v);
  return Buffer.concat(parts);
}

/** Decodes one value; strings come back as UTF-8 text. Throws on malformed input. */
export function bdecode(buf: Buffer): BValue {
  let i = 0;
  const fail = (what: string): never => { throw new Error(`bencode: ${what} at ${i}`); };
  const value = (): BValue => {
    const c = buf[i];
    if (c === undefined) return fail('truncated');
    if (c === 0x69) { // i
      const end = buf.indexOf(0x65, i);
      if (end < 0) fail('unterminated integer');
      const n = Number(buf.toString('latin1', i + 1, end));
      i = end + 1;
      return n;
    }
    if (c === 0x6c) { // l
      i++;
      const out: BValue[] = [];
      while (buf[i] !== 0x65) out.push(value());
      i++;
      return out;
    }
    if (c === 0x64) { // d
      i++;
      const out: { [key: string]: BValue } = {};
      while (buf[i] !== 0x65) {
        const k = value();
        if (typeof k !== 'string') fail('non-string key');
        out[k as string] = value();
      }
      i++;
      return out;
    }
    const colon = buf.indexOf(0x3a, i);
    if (colon < 0) fail('bad string');
    const len = Number(buf.toString('latin1', i, colon));
    if (!Number.isInteger(len) || colon + 1 + len > buf.length) fail('bad string length');
    const s = buf.toString('utf8', colon + 1, colon + 1 + len);
    i = colon + 1 + len;
    return s;
  };
  return value();
}

// X.691 27 (known-multiplier character strings): bits per character and re-indexing.
import type { AsnType, KnownMultiplierString } from '../schema.ts';

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let c = from; c <= to; c++) out.push(c);
  return out;
}

const PRINTABLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?";

/** The alphabets of X.680 41 (Table 8) in canonical (code point) order. */
function defaultAlphabet(type: KnownMultiplierString): number[] {
  switch (type) {
    case 'IA5String': return range(0, 127);
    case 'VisibleString': return range(32, 126);
    case 'NumericString': return [...' 0123456789'].map((c) => c.charCodeAt(0));
    case 'PrintableString': return [...PRINTABLE].map((c) => c.charCodeAt(0)).sort((a, b) => a - b);
    case 'BMPString': return range(0, 65535);
  }
}

export interface CharCoding {
  /** Bits per character in the ALIGNED variant (X.691 27.5.2: B rounded up to a power of 2). */
  bits: number;
  /** Sorted permitted alphabet when characters are re-indexed (27.5.4), else undefined. */
  indexed?: number[];
  /** Index of each permitted code point (for encoding) when re-indexed. */
  indexOf?: Map<number, number>;
  /** permitted[c] === 1 for each permitted code point (checked both ways); undefined = 0..maxCode. */
  permitted: Uint8Array | undefined;
  /** The permitted code points in order (for generators). */
  codes: number[];
  maxCode: number;
}

const cache = new WeakMap<object, CharCoding>();

/** The coding of a character string type, computed once per schema node. */
export function charCoding(t: Extract<AsnType, { kind: 'string' }>): CharCoding {
  const hit = cache.get(t);
  if (hit) return hit;
  const coding = computeCoding(t.stringType, t.alphabet);
  cache.set(t, coding);
  return coding;
}

function computeCoding(type: KnownMultiplierString, alphabet: string | undefined): CharCoding {
  const codes = alphabet !== undefined
    ? [...new Set([...alphabet].map((c) => c.charCodeAt(0)))].sort((a, b) => a - b)
    : defaultAlphabet(type);
  const n = codes.length;
  let b = 0; // 27.5.2: smallest B with 2^B ≥ N
  while (2 ** b < n) b++;
  let bits = 1; // ALIGNED: smallest power of two ≥ B
  while (bits < b) bits *= 2;
  const maxCode = codes[codes.length - 1]!;
  // 27.5.4: values are used as they are when the largest fits in `bits`, otherwise re-indexed.
  const reindex = maxCode >= 2 ** bits;
  const coding: CharCoding = {
    bits,
    permitted: type === 'BMPString' && alphabet === undefined ? undefined : flags(codes, maxCode),
    codes,
    maxCode,
    ...(reindex ? { indexed: codes, indexOf: new Map(codes.map((c, i) => [c, i])) } : {}),
  };
  return coding;
}

function flags(codes: number[], maxCode: number): Uint8Array {
  const f = new Uint8Array(maxCode + 1);
  for (const c of codes) f[c] = 1;
  return f;
}

// Schema-driven PER decoder, ALIGNED variant (ITU-T X.691). Hostile input only ever yields
// PerDecodeError: every read is bounds-checked, lengths are checked against the remaining input
// before items are read, nesting depth and the number of decoded values are bounded.
import type { AsnType, Component, Schema, SizeConstraint } from '../schema.ts';
import { BitReader } from './bit-reader.ts';
import { charCoding, type CharCoding } from './char-strings.ts';
import { PerDecodeError } from './errors.ts';
import { checkTotal, readLength, readNormallySmallLength } from './length.ts';
import { decodeOidContents } from './oid.ts';
import { UNKNOWN_ALTERNATIVE, UNKNOWN_ENUM, type ChoiceValue } from './values.ts';
import {
  readConstrained, readNormallySmall, readSemiConstrained, readUnconstrained,
} from './whole-numbers.ts';

const K64 = 65536;
/** Deepest nesting accepted; real H.323 messages stay far below. */
const MAX_DEPTH = 100;

export class PerDecoder {
  private depth = 0;
  /** Values left to decode: bounds work on inputs that pack many empty values (NULL lists). */
  private budget = 0;

  constructor(private readonly schema: Schema) {}

  decode(type: AsnType, bytes: Uint8Array): unknown {
    const r = new BitReader(bytes);
    this.depth = 0;
    this.budget = bytes.length * 8 + 4096;
    try {
      return this.value(r, type);
    } catch (e) {
      if (e instanceof PerDecodeError) throw e;
      // Anything else would be a codec bug: still surface it as a decode error with context.
      throw new PerDecodeError(`internal: ${(e as Error)?.message ?? String(e)}`, r.path.join('.'), r.pos, true);
    }
  }

  private resolve(r: BitReader, type: AsnType): AsnType {
    while (type.kind === 'ref') {
      const next = this.schema.types[type.ref];
      if (!next) r.fail(`unknown type ${type.ref}`);
      type = next;
    }
    return type;
  }

  private value(r: BitReader, type: AsnType): unknown {
    if (--this.budget < 0) r.fail('too many values for the input size');
    if (++this.depth > MAX_DEPTH) r.fail('nesting too deep');
    try {
      return this.dispatch(r, this.resolve(r, type));
    } finally {
      this.depth--;
    }
  }

  private dispatch(r: BitReader, t: AsnType): unknown {
    switch (t.kind) {
      case 'ref':
        return r.fail('unresolved reference');
      case 'boolean':
        return r.readBit();
      case 'null':
        return null;
      case 'integer':
        return this.integer(r, t);
      case 'enumerated': {
        if (t.ext && r.readBit()) {
          const i = readNormallySmall(r);
          return t.ext[i] ?? `${UNKNOWN_ENUM}${i}`;
        }
        return t.root[readConstrained(r, t.root.length)]!;
      }
      case 'bitString':
        return this.bitString(r, t.size);
      case 'octetString':
        return this.octetString(r, t.size);
      case 'string':
        return this.charString(r, t);
      case 'otherString':
        return latin1(this.octetString(r, undefined));
      case 'objectIdentifier': {
        const contents = this.octetString(r, undefined);
        const arcs = decodeOidContents(contents);
        return typeof arcs === 'string' ? r.fail(arcs) : arcs;
      }
      case 'sequence':
      case 'set':
        return this.sequence(r, t.root, t.ext);
      case 'choice':
        return this.choice(r, t);
      case 'sequenceOf':
      case 'setOf':
        return this.sequenceOf(r, t.item, t.size);
      case 'open':
        return t.inner ? this.openType(r, t.inner) : this.openBytes(r);
    }
  }

  private integer(r: BitReader, t: Extract<AsnType, { kind: 'integer' }>): number {
    if (t.ext && r.readBit()) return readUnconstrained(r); // X.691 13.1
    if (t.lb !== undefined && t.ub !== undefined) return t.lb + readConstrained(r, t.ub - t.lb + 1);
    if (t.lb !== undefined) return t.lb + readSemiConstrained(r);
    return readUnconstrained(r);
  }

  private sizeOf(r: BitReader, size: SizeConstraint | undefined): SizeConstraint | undefined {
    if (!size) return undefined;
    if (size.ext && r.readBit()) return undefined; // X.691 9.3.16: outside the root
    return size;
  }

  private bitString(r: BitReader, size: SizeConstraint | undefined): { data: Uint8Array; length: number } {
    const s = this.sizeOf(r, size);
    if (s && s.lb === s.ub && s.ub < K64) { // X.691 16.9-16.10
      if (s.ub > 16) r.align();
      return { data: r.readBitString(s.ub), length: s.ub };
    }
    const lb = s?.lb ?? 0;
    const ub = s?.ub;
    let n = readLength(r, lb, ub, 1); // 16.11
    r.align();
    if (!r.moreFragments) return { data: r.readBitString(n), length: n };
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      parts.push(r.readBitString(n));
      total += n;
      if (!r.moreFragments) break;
      n = readLength(r, lb, ub, 1);
    }
    checkTotal(r, total, lb, ub);
    return { data: concat(parts).subarray(0, (total + 7) >>> 3), length: total };
  }

  private octetString(r: BitReader, size: SizeConstraint | undefined): Uint8Array {
    const s = this.sizeOf(r, size);
    if (s && s.lb === s.ub && s.ub < K64) { // X.691 17.6-17.7
      if (s.ub > 2) r.align();
      return r.readBytes(s.ub);
    }
    const lb = s?.lb ?? 0;
    const ub = s?.ub;
    let n = readLength(r, lb, ub, 8); // 17.8
    r.align();
    if (!r.moreFragments) return r.readBytes(n);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      parts.push(r.readBytes(n));
      total += n;
      if (!r.moreFragments) break;
      n = readLength(r, lb, ub, 8);
    }
    checkTotal(r, total, lb, ub);
    return concat(parts);
  }

  private charString(r: BitReader, t: Extract<AsnType, { kind: 'string' }>): string {
    const coding = charCoding(t);
    const s = this.sizeOf(r, t.size);
    let str = '';
    if (s && s.lb === s.ub && s.ub < K64) { // X.691 27.5.6
      if (s.ub * coding.bits > 16) r.align();
      return this.chars(r, coding, s.ub);
    }
    const lb = s?.lb ?? 0;
    const ub = s?.ub;
    let n = readLength(r, lb, ub, coding.bits); // 27.5.7
    r.align();
    let total = 0;
    for (;;) {
      str += this.chars(r, coding, n);
      total += n;
      if (!r.moreFragments) break;
      n = readLength(r, lb, ub, coding.bits);
    }
    checkTotal(r, total, lb, ub);
    return str;
  }

  private chars(r: BitReader, coding: CharCoding, n: number): string {
    let str = '';
    for (let i = 0; i < n; i++) {
      const raw = r.readBits(coding.bits);
      const c = coding.indexed ? coding.indexed[raw] : raw; // X.691 27.5.4
      if (c === undefined || (coding.permitted ? coding.permitted[c] !== 1 : c > coding.maxCode)) {
        r.fail(`character ${raw} outside the permitted alphabet`);
      }
      str += String.fromCharCode(c);
    }
    return str;
  }

  private sequence(r: BitReader, root: Component[], ext: Component[] | undefined): Record<string, unknown> {
    const hasExt = ext !== undefined && r.readBit(); // X.691 19.1
    let optionals = 0;
    for (let i = 0; i < root.length; i++) if (root[i]!.optional) optionals++;
    r.need(optionals);
    const present: boolean[] = new Array(root.length);
    for (let i = 0; i < root.length; i++) present[i] = root[i]!.optional ? r.readBit() : true;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < root.length; i++) {
      if (!present[i]) continue;
      const c = root[i]!;
      r.path.push(c.name);
      out[c.name] = this.value(r, c.type);
      r.path.pop();
    }
    if (!hasExt) return out;
    const n = readNormallySmallLength(r); // 19.8
    r.need(n);
    const bitmap: boolean[] = new Array(n);
    for (let i = 0; i < n; i++) bitmap[i] = r.readBit();
    for (let i = 0; i < n; i++) {
      if (!bitmap[i]) continue;
      const known = ext![i];
      r.path.push(known ? known.name : `#extension${i}`);
      // A newer peer's additions unknown here are skipped over their open-type length.
      if (known) out[known.name] = this.openType(r, known.type);
      else this.openBytes(r);
      r.path.pop();
    }
    return out;
  }

  private choice(r: BitReader, t: Extract<AsnType, { kind: 'choice' }>): ChoiceValue {
    if (t.ext && r.readBit()) { // X.691 23.8
      const i = readNormallySmall(r);
      const alt = t.ext[i];
      if (!alt) return { type: UNKNOWN_ALTERNATIVE, index: i, value: this.openBytes(r) };
      r.path.push(alt.name);
      const value = this.openType(r, alt.type);
      r.path.pop();
      return { type: alt.name, value };
    }
    const alt = t.root[readConstrained(r, t.root.length)]!;
    r.path.push(alt.name);
    const value = this.value(r, alt.type);
    r.path.pop();
    return { type: alt.name, value };
  }

  private sequenceOf(r: BitReader, item: AsnType, size: SizeConstraint | undefined): unknown[] {
    const s = this.sizeOf(r, size);
    const out: unknown[] = [];
    if (s && s.lb === s.ub && s.ub < K64) return this.items(r, item, s.ub, out); // X.691 20.5
    const lb = s?.lb ?? 0;
    const ub = s?.ub;
    let n = readLength(r, lb, ub, 0); // 20.6
    for (;;) {
      this.items(r, item, n, out);
      if (!r.moreFragments) break;
      n = readLength(r, lb, ub, 0);
    }
    checkTotal(r, out.length, lb, ub);
    return out;
  }

  private items(r: BitReader, item: AsnType, n: number, out: unknown[]): unknown[] {
    for (let i = 0; i < n; i++) {
      r.path.push(String(out.length));
      out.push(this.value(r, item));
      r.path.pop();
    }
    return out;
  }

  private openBytes(r: BitReader): Uint8Array {
    return this.octetString(r, undefined);
  }

  /** X.691 10.2: an open type's octets decoded as `type`, in place; trailing octets inside it are ignored. */
  private openType(r: BitReader, type: AsnType): unknown {
    const n = readLength(r, 0, undefined, 8);
    r.align();
    if (r.moreFragments) { // over 16K: gather the fragments, decode from a copy
      const parts: Uint8Array[] = [r.readBytes(n)];
      do parts.push(r.readBytes(readLength(r, 0, undefined, 8))); while (r.moreFragments);
      const inner = new BitReader(concat(parts));
      inner.path = r.path;
      return this.value(inner, type);
    }
    const end = r.pos + n * 8;
    const outerEnd = r.bitLength;
    r.bitLength = end; // the contents start octet-aligned, so alignment inside is unchanged
    try {
      return this.value(r, type);
    } finally {
      r.bitLength = outerEnd;
      r.pos = end;
    }
  }
}

/** One character per octet, in chunks (a spread of a long input would overflow the call stack). */
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}


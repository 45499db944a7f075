// Schema-driven PER encoder, ALIGNED variant (ITU-T X.691).
import type { AsnType, Component, Schema, SizeConstraint } from '../schema.ts';
import { BitWriter } from './bit-writer.ts';
import { charCoding, type CharCoding } from './char-strings.ts';
import { PerEncodeError } from './errors.ts';
import { writeLength, writeNormallySmallLength } from './length.ts';
import { encodeOidContents } from './oid.ts';
import { UNKNOWN_ALTERNATIVE, UNKNOWN_ENUM, type BitStringValue, type ChoiceValue } from './values.ts';
import {
  writeConstrained, writeNormallySmall, writeSemiConstrained, writeUnconstrained,
} from './whole-numbers.ts';

const K64 = 65536;

export class PerEncoder {
  private path: string[] = [];
  constructor(private readonly schema: Schema) {}

  /** Complete encoding of `value` (X.691 10.1.3: at least one octet). */
  encode(type: AsnType, value: unknown): Uint8Array {
    this.path = [];
    const w = new BitWriter();
    this.value(w, type, value);
    return complete(w);
  }

  private fail(message: string): never {
    throw new PerEncodeError(message, this.path.join('.'));
  }

  private resolve(type: AsnType): AsnType {
    while (type.kind === 'ref') {
      const next = this.schema.types[type.ref];
      if (!next) this.fail(`unknown type ${type.ref}`);
      type = next;
    }
    return type;
  }

  private value(w: BitWriter, type: AsnType, v: unknown): void {
    const t = this.resolve(type);
    switch (t.kind) {
      case 'boolean':
        if (typeof v !== 'boolean') this.fail('BOOLEAN expects true or false');
        return w.writeBit(v); // X.691 12
      case 'null':
        return; // X.691 18: empty
      case 'integer':
        return this.integer(w, t, v);
      case 'enumerated':
        return this.enumerated(w, t, v);
      case 'bitString':
        return this.bitString(w, t.size, v);
      case 'octetString':
        return this.octetString(w, t.size, v);
      case 'string':
        return this.charString(w, t, v);
      case 'otherString': // X.691 30: length in octets + BER contents (one octet per character here)
        if (typeof v !== 'string') this.fail(`${t.stringType} expects a string`);
        return this.octetString(w, undefined, Uint8Array.from(v, (c) => c.charCodeAt(0) & 0xff));
      case 'objectIdentifier': { // X.691 24: length + BER contents octets
        if (!Array.isArray(v)) this.fail('OBJECT IDENTIFIER expects an array of arcs');
        const contents = encodeOidContents(v as number[]);
        if (!contents) this.fail('invalid OBJECT IDENTIFIER');
        return writeOpenBytes(w, contents);
      }
      case 'sequence':
      case 'set':
        return this.sequence(w, t.root, t.ext, v);
      case 'choice':
        return this.choice(w, t, v);
      case 'sequenceOf':
      case 'setOf':
        return this.sequenceOf(w, t.item, t.size, v);
      case 'open':
        if (t.inner) return this.openType(w, t.inner, v);
        if (!(v instanceof Uint8Array)) this.fail('open type expects encoded octets');
        return writeOpenBytes(w, v.length === 0 ? new Uint8Array(1) : v);
    }
  }

  private integer(w: BitWriter, t: Extract<AsnType, { kind: 'integer' }>, v: unknown): void {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail('INTEGER expects a safe integer number');
    const inRoot = (t.lb === undefined || v >= t.lb) && (t.ub === undefined || v <= t.ub);
    if (t.ext) { // X.691 13.1: extension bit
      w.writeBit(!inRoot);
      if (!inRoot) return writeUnconstrained(w, v);
    } else if (!inRoot) this.fail(`INTEGER ${v} outside ${t.lb}..${t.ub}`);
    if (t.lb !== undefined && t.ub !== undefined) return writeConstrained(w, v - t.lb, t.ub - t.lb + 1); // 13.2.1
    if (t.lb !== undefined) return writeSemiConstrained(w, v - t.lb); // 13.2.3
    return writeUnconstrained(w, v); // 13.2.4
  }

  private enumerated(w: BitWriter, t: Extract<AsnType, { kind: 'enumerated' }>, v: unknown): void {
    if (typeof v !== 'string') this.fail('ENUMERATED expects an identifier string');
    const root = t.root.indexOf(v);
    if (root >= 0) { // X.691 14.2/14.3
      if (t.ext) w.writeBit(false);
      return writeConstrained(w, root, t.root.length);
    }
    let ext = t.ext ? t.ext.indexOf(v) : -1;
    if (ext < 0 && t.ext && v.startsWith(UNKNOWN_ENUM)) ext = Number(v.slice(UNKNOWN_ENUM.length));
    if (!t.ext || !(ext >= 0)) this.fail(`unknown ENUMERATED value ${v}`);
    w.writeBit(true);
    writeNormallySmall(w, ext); // 14.3
  }

  /** Extension bit and in-root check for SIZE-constrained types (X.691 9.3.16); returns the effective constraint. */
  private sizePreamble(w: BitWriter, size: SizeConstraint | undefined, n: number): SizeConstraint | undefined {
    if (!size) return undefined;
    const inRoot = n >= size.lb && (size.ub === undefined || n <= size.ub);
    if (size.ext) {
      w.writeBit(!inRoot);
      return inRoot ? size : undefined; // outside the root: as if unconstrained
    }
    if (!inRoot) this.fail(`size ${n} outside ${size.lb}..${size.ub ?? 'MAX'}`);
    return size;
  }

  private bitString(w: BitWriter, size: SizeConstraint | undefined, v: unknown): void {
    const bs = v as BitStringValue;
    if (!bs || !(bs.data instanceof Uint8Array) || !Number.isInteger(bs.length) || bs.length > bs.data.length * 8) {
      this.fail('BIT STRING expects { data, length }');
    }
    const n = bs.length;
    const s = this.sizePreamble(w, size, n);
    if (s && s.ub === s.lb && s.ub < K64) { // X.691 16.9-16.10: fixed size, no length
      if (n > 16) w.align();
      return w.writeBitString(bs.data, n);
    }
    let done = 0; // 16.11: length, then the bits octet-aligned
    do {
      const k = writeLength(w, n - done, s?.lb ?? 0, s?.ub);
      if (done === 0) w.align();
      writeBitRange(w, bs.data, done, done + k);
      done += k;
    } while (w.moreFragments);
  }

  private octetString(w: BitWriter, size: SizeConstraint | undefined, v: unknown): void {
    if (!(v instanceof Uint8Array)) this.fail('OCTET STRING expects a Uint8Array');
    const n = v.length;
    const s = this.sizePreamble(w, size, n);
    if (s && s.ub === s.lb && s.ub < K64) { // X.691 17.6-17.7: fixed size
      if (n > 2) w.align();
      return w.writeBytes(v);
    }
    let done = 0; // 17.8: length, then the octets aligned
    do {
      const k = writeLength(w, n - done, s?.lb ?? 0, s?.ub);
      if (done === 0) w.align();
      w.writeBytes(done === 0 && k === n ? v : v.subarray(done, done + k));
      done += k;
    } while (w.moreFragments);
  }

  private charString(w: BitWriter, t: Extract<AsnType, { kind: 'string' }>, v: unknown): void {
    if (typeof v !== 'string') this.fail(`${t.stringType} expects a string`);
    const coding = charCoding(t);
    const n = v.length;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (coding.permitted ? coding.permitted[c] !== 1 : c > coding.maxCode) {
        this.fail(`character U+${c.toString(16)} not permitted in ${t.stringType}`);
      }
    }
    const s = this.sizePreamble(w, t.size, n);
    if (s && s.ub === s.lb && s.ub < K64) { // X.691 27.5.6: fixed length
      if (n * coding.bits > 16) w.align();
      return writeChars(w, coding, v, 0, n);
    }
    // X.691 27.5.7: with a length determinant the characters are octet-aligned (ALIGNED variant).
    let done = 0;
    do {
      const k = writeLength(w, n - done, s?.lb ?? 0, s?.ub);
      if (done === 0) w.align();
      writeChars(w, coding, v, done, done + k);
      done += k;
    } while (w.moreFragments);
  }

  private sequence(w: BitWriter, root: Component[], ext: Component[] | undefined, v: unknown): void {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail('SEQUENCE expects an object');
    const obj = v as Record<string, unknown>;
    let lastExt = -1;
    if (ext) {
      for (let i = 0; i < ext.length; i++) if (obj[ext[i]!.name] !== undefined) lastExt = i;
      w.writeBit(lastExt >= 0); // X.691 19.1
    }
    for (let i = 0; i < root.length; i++) if (root[i]!.optional) w.writeBit(obj[root[i]!.name] !== undefined); // 19.2-19.3
    for (let i = 0; i < root.length; i++) {
      const c = root[i]!;
      const cv = obj[c.name];
      if (cv === undefined) {
        if (!c.optional) this.fail(`missing mandatory component ${c.name}`);
        continue;
      }
      this.path.push(c.name);
      this.value(w, c.type, cv);
      this.path.pop();
    }
    if (!ext || lastExt < 0) return;
    writeNormallySmallLength(w, ext.length); // 19.8: bitmap of every extension addition
    for (let i = 0; i < ext.length; i++) w.writeBit(obj[ext[i]!.name] !== undefined);
    for (let i = 0; i < ext.length; i++) {
      const c = ext[i]!;
      const cv = obj[c.name];
      if (cv === undefined) continue;
      this.path.push(c.name);
      this.openType(w, c.type, cv); // 19.9: each addition as an open type
      this.path.pop();
    }
  }

  private choice(w: BitWriter, t: Extract<AsnType, { kind: 'choice' }>, v: unknown): void {
    const cv = v as ChoiceValue;
    if (typeof cv !== 'object' || cv === null || typeof cv.type !== 'string') this.fail('CHOICE expects { type, value }');
    const root = indexOfName(t.root, cv.type);
    this.path.push(cv.type);
    if (root >= 0) {
      if (t.ext) w.writeBit(false); // X.691 23.5
      writeConstrained(w, root, t.root.length); // 23.6-23.7
      this.value(w, t.root[root]!.type, cv.value);
    } else {
      if (!t.ext) this.fail(`unknown CHOICE alternative ${cv.type}`);
      w.writeBit(true);
      const ext = indexOfName(t.ext, cv.type);
      if (ext >= 0) {
        writeNormallySmall(w, ext); // 23.8
        this.openType(w, t.ext[ext]!.type, cv.value);
      } else if (cv.type === UNKNOWN_ALTERNATIVE && Number.isInteger(cv.index) && cv.value instanceof Uint8Array) {
        writeNormallySmall(w, cv.index!);
        writeOpenBytes(w, cv.value);
      } else this.fail(`unknown CHOICE alternative ${cv.type}`);
    }
    this.path.pop();
  }

  private sequenceOf(w: BitWriter, item: AsnType, size: SizeConstraint | undefined, v: unknown): void {
    if (!Array.isArray(v)) this.fail('SEQUENCE OF expects an array');
    const n = v.length;
    const s = this.sizePreamble(w, size, n); // X.691 20.4
    if (s && s.lb === s.ub && s.ub < K64) return this.items(w, item, v, 0, n); // 20.5: fixed count, no length
    let done = 0; // 20.6
    do {
      const k = writeLength(w, n - done, s?.lb ?? 0, s?.ub);
      this.items(w, item, v, done, done + k);
      done += k;
    } while (w.moreFragments);
  }

  private items(w: BitWriter, item: AsnType, v: unknown[], from: number, to: number): void {
    for (let i = from; i < to; i++) {
      this.path.push(String(i));
      this.value(w, item, v[i]);
      this.path.pop();
    }
  }

  /** X.691 10.2: the complete encoding of `type` as the octets of an open type field. */
  private openType(w: BitWriter, type: AsnType, v: unknown): void {
    const inner = new BitWriter();
    this.value(inner, type, v);
    writeOpenBytes(w, complete(inner));
  }
}

function complete(w: BitWriter): Uint8Array {
  // X.691 10.1.3: an empty encoding becomes a single zero octet.
  return w.bitLength === 0 ? new Uint8Array(1) : w.toBytes();
}

function writeOpenBytes(w: BitWriter, bytes: Uint8Array): void {
  const n = bytes.length;
  let done = 0;
  do {
    const k = writeLength(w, n - done, 0, undefined);
    w.writeBytes(done === 0 && k === n ? bytes : bytes.subarray(done, done + k));
    done += k;
  } while (w.moreFragments);
}

function indexOfName(list: { name: string }[], name: string): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.name === name) return i;
  return -1;
}

function writeChars(w: BitWriter, coding: CharCoding, v: string, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const c = v.charCodeAt(i);
    w.writeBits(coding.indexOf ? coding.indexOf.get(c)! : c, coding.bits); // X.691 27.5.4
  }
}

function writeBitRange(w: BitWriter, data: Uint8Array, from: number, to: number): void {
  if ((from & 7) === 0) {
    w.writeBitString(data.subarray(from >>> 3), to - from);
    return;
  }
  for (let i = from; i < to; i++) w.writeBit(((data[i >>> 3]! >>> (7 - (i & 7))) & 1) === 1);
}

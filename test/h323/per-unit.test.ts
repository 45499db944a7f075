// X.691 (aligned variant) clause by clause: expected octets derived by hand from the standard's
// rules for small cases, then decoded back.
import { describe, expect, it } from 'vitest';
import { PerDecoder } from '../../h323/asn1/per/decoder.ts';
import { PerEncoder } from '../../h323/asn1/per/encoder.ts';
import { PerDecodeError } from '../../h323/asn1/per/errors.ts';
import { UNKNOWN_ALTERNATIVE } from '../../h323/asn1/per/values.ts';
import type { AsnType, Schema } from '../../h323/asn1/schema.ts';

const schema: Schema = { modules: [], types: {} };
const enc = new PerEncoder(schema);
const dec = new PerDecoder(schema);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bool: AsnType = { kind: 'boolean' };
/** SEQUENCE { flag BOOLEAN, x T }: a leading bit shows whether x is octet-aligned or not. */
const afterBit = (t: AsnType): AsnType => ({ kind: 'sequence', root: [{ name: 'flag', type: bool }, { name: 'x', type: t }] });

function roundTrip(t: AsnType, value: unknown, expected: string): void {
  expect(hex(enc.encode(t, value))).toBe(expected);
  expect(dec.decode(t, Buffer.from(expected, 'hex'))).toEqual(value);
}

describe('X.691 10.5 constrained whole numbers', () => {
  it('range 1 takes no bits; the complete encoding is one zero octet (10.5.4, 10.1.3)', () => {
    roundTrip({ kind: 'integer', lb: 5, ub: 5 }, 5, '00');
  });
  it('range 255 is a 8-bit field without alignment (10.5.7.1)', () => {
    // 1 | 10101011 → 1101 0101 1000 0000
    roundTrip(afterBit({ kind: 'integer', lb: 0, ub: 254 }), { flag: true, x: 0xab }, 'd580');
  });
  it('range 256 is one octet-aligned octet (10.5.7.2)', () => {
    roundTrip(afterBit({ kind: 'integer', lb: 0, ub: 255 }), { flag: true, x: 0xab }, '80ab');
  });
  it('range 65536 is two octet-aligned octets (10.5.7.3)', () => {
    roundTrip(afterBit({ kind: 'integer', lb: 0, ub: 65535 }), { flag: true, x: 0x1234 }, '801234');
  });
  it('range above 64K: octet count 1..3 in 2 bits, then aligned octets (10.5.7.4)', () => {
    const t = afterBit({ kind: 'integer', lb: 0, ub: 65536 });
    roundTrip(t, { flag: true, x: 1 }, '8001'); // 1 00 | pad | 01
    roundTrip(t, { flag: true, x: 65536 }, 'c0010000'); // 1 10 | pad | 01 00 00
  });
  it('lb offsets the value (10.5.3)', () => {
    roundTrip({ kind: 'integer', lb: 1, ub: 4 }, 4, 'c0'); // 4 − 1 = 3 in 2 bits
  });
  it('an out-of-range encoded offset is a decode error', () => {
    expect(() => dec.decode({ kind: 'integer', lb: 0, ub: 2 }, Uint8Array.of(0xc0))).toThrow(PerDecodeError);
  });
});

describe('X.691 10.7/10.8 semi-constrained and unconstrained integers', () => {
  it('unconstrained: length octet + minimal two\'s complement', () => {
    roundTrip({ kind: 'integer' }, -1, '01ff');
    roundTrip({ kind: 'integer' }, 127, '017f');
    roundTrip({ kind: 'integer' }, 128, '020080');
    roundTrip({ kind: 'integer' }, -129, '02ff7f');
  });
  it('semi-constrained: offset from lb as a non-negative integer', () => {
    roundTrip({ kind: 'integer', lb: 1 }, 1, '0100');
    roundTrip({ kind: 'integer', lb: 1 }, 257, '020100');
  });
  it('extensible range: bit 0 + root encoding, bit 1 + unconstrained (13.1)', () => {
    const t: AsnType = { kind: 'integer', lb: 0, ub: 7, ext: true };
    roundTrip(t, 3, '30'); // 0 011
    roundTrip(t, 8, '800108'); // 1 | pad | 01 08
  });
});

describe('X.691 10.9 length determinants', () => {
  const octets: AsnType = { kind: 'octetString' };
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  const head = (n: number, prefixOctets: number) => hex(enc.encode(octets, bytes(n)).subarray(0, prefixOctets));
  it('127 in one octet, 128 and 16383 in two (10.9.3.6, 10.9.3.7)', () => {
    expect(head(127, 1)).toBe('7f');
    expect(head(128, 2)).toBe('8080');
    expect(head(16383, 2)).toBe('bfff');
    expect(enc.encode(octets, bytes(16383)).length).toBe(16385);
  });
  it('16384 is one 16K fragment followed by a zero length (10.9.3.8)', () => {
    const e = enc.encode(octets, bytes(16384));
    expect(e.length).toBe(1 + 16384 + 1);
    expect(e[0]).toBe(0xc1);
    expect(e[e.length - 1]).toBe(0x00);
    expect(dec.decode(octets, e)).toEqual(bytes(16384));
  });
  it('70000 is a 64K fragment then a two-octet length of 4464', () => {
    const e = enc.encode(octets, bytes(70000));
    expect(e[0]).toBe(0xc4);
    expect(hex(e.subarray(1 + 65536, 1 + 65536 + 2))).toBe('9170');
    expect(e.length).toBe(1 + 65536 + 2 + 4464);
    expect(dec.decode(octets, e)).toEqual(bytes(70000));
  });
  it('a SIZE range below 64K is a constrained whole number (10.9.3.3)', () => {
    // SIZE (1..128): length − 1 in 7 bits, then the octets aligned.
    roundTrip({ kind: 'octetString', size: { lb: 1, ub: 128 } }, Uint8Array.of(0xaa, 0xbb), '02aabb');
  });
  it('fixed sizes: ≤ 2 octets unaligned, more aligned, no length (17.6, 17.7)', () => {
    roundTrip(afterBit({ kind: 'octetString', size: { lb: 2, ub: 2 } }), { flag: true, x: Uint8Array.of(0xab, 0xcd) }, 'd5e680');
    roundTrip(afterBit({ kind: 'octetString', size: { lb: 3, ub: 3 } }), { flag: true, x: Uint8Array.of(0xab, 0xcd, 0xef) }, '80abcdef');
  });
  it('an extensible SIZE: bit 0 + root length, or bit 1 + unconstrained length (9.3.16)', () => {
    const t: AsnType = { kind: 'octetString', size: { lb: 1, ub: 2, ext: true } };
    roundTrip(t, Uint8Array.of(0xaa, 0xbb), '40aabb'); // 0 1 (2 − 1 in 1 bit) | pad
    roundTrip(t, Uint8Array.of(0xaa, 0xbb, 0xcc), '8003aabbcc'); // 1 | pad | 03
  });
  it('a length larger than the remaining input is refused before reading', () => {
    expect(() => dec.decode(octets, Uint8Array.of(0xbf, 0xff, 1, 2))).toThrow(/exceeds the remaining input/);
  });
});

describe('X.691 19/23 extension bits, bitmaps and open types', () => {
  const seq: AsnType = { kind: 'sequence', root: [{ name: 'a', type: bool }], ext: [{ name: 'b', type: bool, optional: true }] };
  it('SEQUENCE: extension bit, normally-small bitmap length, addition as an open type', () => {
    // 1 (ext) 1 (a) 0 000000 (n−1 = 0) 1 (b present) | pad | 01 (length) 80 (b = true)
    roundTrip(seq, { a: true, b: true }, 'c0400180');
    roundTrip(seq, { a: true }, '40');
  });
  it('a longer bitmap with unknown additions is skipped over their open-type lengths', () => {
    // 1 (ext) 1 (a) 0 000010 (n − 1 = 2) 111 | pad → c1 70; then 01 80 (b) | 01 00 | 02 ff ff (unknown)
    expect(dec.decode(seq, Buffer.from('c1700180010002ffff', 'hex'))).toEqual({ a: true, b: true });
  });
  it('a shorter bitmap than the schema has means the remaining additions are absent', () => {
    const seq2: AsnType = { ...seq, ext: [{ name: 'b', type: bool, optional: true }, { name: 'c', type: bool, optional: true }] } as AsnType;
    expect(dec.decode(seq2, Buffer.from('c0400180', 'hex'))).toEqual({ a: true, b: true });
  });
  const ch: AsnType = {
    kind: 'choice', root: [{ name: 'x', type: { kind: 'null' } }, { name: 'y', type: { kind: 'null' } }],
    ext: [{ name: 'z', type: bool }],
  };
  it('CHOICE: root index after a 0 bit, extension index as a normally small number + open type', () => {
    roundTrip(ch, { type: 'y', value: null }, '40'); // 0 1
    roundTrip(ch, { type: 'z', value: true }, '800180'); // 1 0 000000 | 01 80
  });
  it('an unknown extension alternative decodes to its index and octets and re-encodes unchanged', () => {
    const bytes = Buffer.from('8102abcd', 'hex'); // 1 0 000001 | 02 ab cd: extension index 1
    const v = dec.decode(ch, bytes);
    expect(v).toEqual({ type: UNKNOWN_ALTERNATIVE, index: 1, value: Uint8Array.of(0xab, 0xcd) });
    expect(hex(enc.encode(ch, v))).toBe('8102abcd');
  });
  it('ENUMERATED: root index, or extension bit + normally small index (14)', () => {
    const e: AsnType = { kind: 'enumerated', root: ['a', 'b', 'c'], ext: ['d'] };
    roundTrip(e, 'c', '40'); // 0 10
    roundTrip(e, 'd', '80'); // 1 0 000000
  });
});

describe('X.691 27 known-multiplier character strings', () => {
  it('a FROM alphabet of 13 characters is re-indexed in 4 bits (27.5.4)', () => {
    // sorted "#*,0123456789": '1' → 4, '2' → 5; SIZE (1..128): length − 1 = 1 in 7 bits, then aligned
    roundTrip({ kind: 'string', stringType: 'IA5String', size: { lb: 1, ub: 128 }, alphabet: '#*,0123456789' }, '12', '0245');
  });
  it('IA5String keeps its values in 8 bits; BMPString takes 16 bits', () => {
    roundTrip({ kind: 'string', stringType: 'IA5String' }, 'Hi', '024869');
    roundTrip({ kind: 'string', stringType: 'BMPString', size: { lb: 1, ub: 256 } }, 'aé', '01' + '0061' + '00e9');
  });
  it('a fixed length of one 8-bit character is not aligned (27.5.6)', () => {
    // 17 characters need 5 bits, 8 in the ALIGNED variant; 'D' (0x44) < 256 so values are kept: 1 | 00100011
    const t = afterBit({ kind: 'string', stringType: 'IA5String', size: { lb: 1, ub: 1 }, alphabet: '!#*0123456789ABCD' });
    roundTrip(t, { flag: true, x: '#' }, '9180');
  });
  it('characters outside the permitted alphabet are refused both ways', () => {
    const t: AsnType = { kind: 'string', stringType: 'IA5String', size: { lb: 1, ub: 4 }, alphabet: '0123456789' };
    expect(() => enc.encode(t, '1a')).toThrow(/not permitted/);
    expect(() => dec.decode(t, Uint8Array.of(0x00, 0xf0))).toThrow(PerDecodeError); // index 15 of 10
  });
});

describe('X.691 30 other character strings', () => {
  it('GeneralString is a length in octets and one octet per character, even when long', () => {
    const t: AsnType = { kind: 'otherString', stringType: 'GeneralString' };
    roundTrip(t, '12#', '033132' + '23');
    const long = 'x'.repeat(200_000);
    expect(dec.decode(t, enc.encode(t, long))).toBe(long);
  });
});

describe('X.691 24 OBJECT IDENTIFIER and errors', () => {
  it('is a length and the BER contents octets', () => {
    roundTrip({ kind: 'objectIdentifier' }, [0, 0, 8, 2250, 0, 7], '060008914a0007');
  });
  it('truncated input throws PerDecodeError naming the component path', () => {
    const t: AsnType = { kind: 'sequence', root: [{ name: 'id', type: { kind: 'objectIdentifier' } }] };
    try {
      dec.decode(t, Uint8Array.of(0x06, 0x00, 0x08));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PerDecodeError);
      expect((e as PerDecodeError).path).toBe('id');
    }
  });
});

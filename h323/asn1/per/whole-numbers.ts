// X.691 10.5-10.8: the whole-number building blocks of the ALIGNED variant.
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';

/** Bits needed to write every value 0..n (n ≥ 0): 0 for n = 0. */
export function bitsFor(n: number): number {
  let bits = 0;
  while (n >= 1) {
    n = Math.floor(n / 2);
    bits++;
  }
  return bits;
}

/** Octets needed for the non-negative binary integer n (at least 1, X.691 10.3). */
export function octetsFor(n: number): number {
  let octets = 1;
  while (n >= 256) {
    n = Math.floor(n / 256);
    octets++;
  }
  return octets;
}

function writeOctets(w: BitWriter, n: number, octets: number): void {
  for (let i = octets - 1; i >= 0; i--) w.writeBits(Math.floor(n / 256 ** i) % 256, 8);
}

function readOctets(r: BitReader, octets: number): number {
  let n = 0;
  for (let i = 0; i < octets; i++) n = n * 256 + r.readBits(8);
  return n;
}

/** X.691 10.5.7 (aligned): the offset n = value − lb of a constrained whole number, range = ub − lb + 1. */
export function writeConstrained(w: BitWriter, n: number, range: number): void {
  if (range <= 1) return; // 10.5.4: range 1, empty
  if (range <= 255) return w.writeBits(n, bitsFor(range - 1)); // 10.5.7.1 bit-field
  if (range === 256) { // 10.5.7.2 one octet, aligned
    w.align();
    return w.writeBits(n, 8);
  }
  if (range <= 65536) { // 10.5.7.3 two octets, aligned
    w.align();
    return w.writeBits(n, 16);
  }
  // 10.5.7.4 indefinite-length case: octet count as a constrained whole number 1..octetsFor(range−1), then octets.
  const octets = octetsFor(n);
  writeConstrained(w, octets - 1, octetsFor(range - 1));
  w.align();
  writeOctets(w, n, octets);
}

export function readConstrained(r: BitReader, range: number): number {
  if (range <= 1) return 0;
  let n: number;
  if (range <= 255) n = r.readBits(bitsFor(range - 1));
  else if (range === 256) {
    r.align();
    n = r.readBits(8);
  } else if (range <= 65536) {
    r.align();
    n = r.readBits(16);
  } else {
    const octets = readConstrained(r, octetsFor(range - 1)) + 1;
    r.align();
    n = readOctets(r, octets);
  }
  if (n >= range) r.fail(`constrained whole number ${n} outside range ${range}`);
  return n;
}

/** X.691 10.9.3.5-10.9.3.7 unconstrained length (< 16K; fragments are handled in length.ts). */
export function writeShortUnconstrainedLength(w: BitWriter, n: number): void {
  w.align();
  if (n < 128) w.writeBits(n, 8); // 10.9.3.6
  else w.writeBits(0x8000 | n, 16); // 10.9.3.7
}

/** X.691 10.7 semi-constrained whole number: offset n ≥ 0 in minimal octets after a length. */
export function writeSemiConstrained(w: BitWriter, n: number): void {
  const octets = octetsFor(n);
  writeShortUnconstrainedLength(w, octets);
  writeOctets(w, n, octets);
}

/** X.691 10.8 unconstrained whole number: minimal two's-complement octets after a length. */
export function writeUnconstrained(w: BitWriter, v: number): void {
  let octets = 1;
  while (v < -(256 ** octets) / 2 || v >= 256 ** octets / 2) octets++;
  writeShortUnconstrainedLength(w, octets);
  const n = v < 0 ? v + 256 ** octets : v;
  writeOctets(w, n, octets);
}

/** Reads a length-prefixed integer octet count (an unconstrained length < 16K, not fragmented). */
function readIntegerOctetCount(r: BitReader): number {
  r.align();
  const first = r.readBits(8);
  let octets: number;
  if ((first & 0x80) === 0) octets = first;
  else if ((first & 0xc0) === 0x80) octets = ((first & 0x3f) << 8) | r.readBits(8);
  else return r.fail('fragmented length on an integer');
  if (octets === 0) r.fail('integer with zero-length contents');
  // Numbers are kept exact up to 2^53: six octets at most.
  if (octets > 6) r.fail(`integer of ${octets} octets exceeds the supported 6`);
  return octets;
}

export function readSemiConstrained(r: BitReader): number {
  return readOctets(r, readIntegerOctetCount(r));
}

export function readUnconstrained(r: BitReader): number {
  const octets = readIntegerOctetCount(r);
  const n = readOctets(r, octets);
  return n >= 256 ** octets / 2 ? n - 256 ** octets : n;
}

/** X.691 10.6 normally small non-negative whole number (CHOICE/ENUMERATED extension indexes). */
export function writeNormallySmall(w: BitWriter, n: number): void {
  if (n <= 63) {
    w.writeBit(false);
    w.writeBits(n, 6);
  } else {
    w.writeBit(true);
    writeSemiConstrained(w, n);
  }
}

export function readNormallySmall(r: BitReader): number {
  return r.readBit() ? readSemiConstrained(r) : r.readBits(6);
}

// X.691 10.9: length determinants, including fragmentation at 16K items (10.9.3.8).
import type { BitReader } from './bit-reader.ts';
import type { BitWriter } from './bit-writer.ts';
import { readConstrained, writeConstrained } from './whole-numbers.ts';

const K16 = 16384;
const K64 = 65536;

/**
 * Writes the length of `count` items and the items themselves (through `writeItems(from, to)`,
 * called once per fragment). `ub` < 64K gives a constrained length (10.9.3.3), otherwise the
 * unconstrained form with fragmentation (10.9.3.5-10.9.3.8).
 */
export function writeLengthAndItems(
  w: BitWriter,
  count: number,
  lb: number,
  ub: number | undefined,
  writeItems: (from: number, to: number) => void,
): void {
  if (ub !== undefined && ub < K64) {
    writeConstrained(w, count - lb, ub - lb + 1); // 10.9.3.3
    writeItems(0, count);
    return;
  }
  let done = 0;
  for (;;) {
    const left = count - done;
    w.align();
    if (left < 128) { // 10.9.3.6
      w.writeBits(left, 8);
      writeItems(done, count);
      return;
    }
    if (left < K16) { // 10.9.3.7
      w.writeBits(0x8000 | left, 16);
      writeItems(done, count);
      return;
    }
    const m = Math.min(4, Math.floor(left / K16)); // 10.9.3.8: 11 + m (1..4) blocks of 16K
    w.writeBits(0xc0 | m, 8);
    writeItems(done, done + m * K16);
    done += m * K16;
    // A fragment ending exactly at the count is followed by a zero length (10.9.3.8.3): the loop does that.
  }
}

/**
 * Writes the length of the next fragment of `left` items still to write and returns how many
 * items that fragment holds; `w.moreFragments` tells whether another length follows them (the
 * closure-free form of writeLengthAndItems, for the encoder's hot paths).
 */
export function writeLength(w: BitWriter, left: number, lb: number, ub: number | undefined): number {
  w.moreFragments = false;
  if (ub !== undefined && ub < K64) {
    writeConstrained(w, left - lb, ub - lb + 1); // 10.9.3.3
    return left;
  }
  w.align();
  if (left < 128) {
    w.writeBits(left, 8); // 10.9.3.6
    return left;
  }
  if (left < K16) {
    w.writeBits(0x8000 | left, 16); // 10.9.3.7
    return left;
  }
  const m = Math.min(4, Math.floor(left / K16)); // 10.9.3.8
  w.writeBits(0xc0 | m, 8);
  w.moreFragments = true; // even when nothing is left: a zero length then ends the list
  return m * K16;
}

/** X.691 10.9.3.4 normally small length (extension-addition bitmaps): n ≥ 1. */
export function writeNormallySmallLength(w: BitWriter, n: number): void {
  if (n <= 64) {
    w.writeBit(false);
    w.writeBits(n - 1, 6);
  } else {
    w.writeBit(true);
    writeLengthAndItems(w, n, 0, undefined, noItems);
  }
}

function noItems(): void {}

/**
 * Reads one length (or one fragment's length) and returns its item count; `r.moreFragments`
 * tells whether another fragment follows. Each item takes at least `minItemBits`: a count that
 * cannot fit in what is left is refused before any item is read, so hostile lengths never make
 * the decoder allocate or loop beyond the input.
 */
export function readLength(r: BitReader, lb: number, ub: number | undefined, minItemBits: number): number {
  let n: number;
  r.moreFragments = false;
  if (ub !== undefined && ub < K64) {
    n = lb + readConstrained(r, ub - lb + 1); // 10.9.3.3
  } else {
    r.align();
    const first = r.readBits(8);
    if ((first & 0x80) === 0) n = first; // 10.9.3.6
    else if ((first & 0xc0) === 0x80) n = ((first & 0x3f) << 8) | r.readBits(8); // 10.9.3.7
    else { // 10.9.3.8
      const m = first & 0x3f;
      if (m < 1 || m > 4) r.fail(`bad fragment multiplier ${m}`);
      n = m * K16;
      r.moreFragments = true;
    }
  }
  if (n * minItemBits > r.remaining) r.fail(`length ${n} exceeds the remaining input`);
  return n;
}

/** Checks a fragmented total against the size constraint (fragments bypass the per-length check). */
export function checkTotal(r: BitReader, total: number, lb: number, ub: number | undefined): void {
  if (total < lb || (ub !== undefined && total > ub)) r.fail(`length ${total} outside ${lb}..${ub ?? 'MAX'}`);
}

export function readNormallySmallLength(r: BitReader): number {
  if (!r.readBit()) return r.readBits(6) + 1;
  let total = 0;
  do total += readLength(r, 0, undefined, 1); while (r.moreFragments);
  return total;
}

import { PerDecodeError } from './errors.ts';

/** Bounds-checked big-endian bit cursor over a PER encoding. Every read that would pass the
 *  end throws PerDecodeError; the path of the component being decoded is kept for messages. */
export class BitReader {
  pos = 0;
  /** End of the readable bits; narrowed while an open type's contents are decoded in place. */
  bitLength: number;
  /** Set by length.ts readLength: another fragment follows the one just read (X.691 10.9.3.8). */
  moreFragments = false;
  /** Component path maintained by the decoder, for error messages. */
  path: string[] = [];

  private readonly buf: Uint8Array;

  constructor(input: Uint8Array, bitLength = input.length * 8) {
    // A plain Uint8Array view, so octets handed out are never Buffers even when the input is one.
    this.buf = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.bitLength = bitLength;
  }

  get remaining(): number {
    return this.bitLength - this.pos;
  }

  fail(message: string): never {
    throw new PerDecodeError(message, this.path.join('.'), this.pos);
  }

  need(bits: number): void {
    if (bits > this.bitLength - this.pos) this.fail(`truncated: ${bits} bits needed, ${this.remaining} left`);
  }

  readBit(): boolean {
    this.need(1);
    const bit = (this.buf[this.pos >>> 3]! >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return bit === 1;
  }

  /** Reads `count` (0..32) bits as a non-negative number. */
  readBits(count: number): number {
    this.need(count);
    const pos = this.pos;
    const shift = pos & 7;
    if (count <= 24) {
      // Fast path: the bits lie within the 4 octets from pos's octet (shift + count ≤ 31).
      const i = pos >>> 3;
      const b = this.buf;
      const word = ((b[i]! << 24) | ((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0)) >>> 0;
      this.pos = pos + count;
      return count === 0 ? 0 : ((word << shift) >>> 0) >>> (32 - count);
    }
    let v = 0;
    for (let k = 0; k < count; k++) {
      const p = this.pos;
      v = v * 2 + ((this.buf[p >>> 3]! >>> (7 - (p & 7))) & 1);
      this.pos = p + 1;
    }
    return v;
  }

  /** Skips to the next octet boundary (the padding bits are not checked, X.691 10.1.3). */
  align(): void {
    const next = (this.pos + 7) & ~7;
    this.need(next - this.pos);
    this.pos = next;
  }

  readBytes(count: number): Uint8Array {
    this.need(count * 8);
    if ((this.pos & 7) === 0) {
      const start = this.pos >>> 3;
      this.pos += count * 8;
      return this.buf.slice(start, start + count);
    }
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.readBits(8);
    return out;
  }

  /** Reads `bitCount` bits into a new zero-padded octet array. */
  readBitString(bitCount: number): Uint8Array {
    this.need(bitCount);
    const out = this.readBytes(bitCount >>> 3);
    const rest = bitCount & 7;
    if (!rest) return out;
    const full = new Uint8Array(out.length + 1);
    full.set(out);
    full[out.length] = this.readBits(rest) << (8 - rest);
    return full;
  }
}

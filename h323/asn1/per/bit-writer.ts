/** Growable big-endian bit buffer for the PER encoder (X.691 bits are written MSB first). */
export class BitWriter {
  private buf = new Uint8Array(64);
  /** Number of bits written. */
  bitLength = 0;
  /** Set by length.ts writeLength: another length follows the fragment being written. */
  moreFragments = false;

  private ensure(bits: number): void {
    const needed = (this.bitLength + bits + 7) >>> 3;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf);
    this.buf = next;
  }

  /** Writes the `count` (0..32) low bits of `value` (≥ 0), most significant first. */
  writeBits(value: number, count: number): void {
    if (count === 0) return;
    if (count > 24) { // split so every piece fits 32-bit integer arithmetic
      this.writeBits(Math.floor(value / 65536), count - 16);
      this.writeBits(value % 65536, 16);
      return;
    }
    this.ensure(count);
    const buf = this.buf;
    let pos = this.bitLength;
    let left = count;
    while (left > 0) {
      const free = 8 - (pos & 7);
      const take = free < left ? free : left;
      const chunk = (value >>> (left - take)) & ((1 << take) - 1);
      buf[pos >>> 3]! |= chunk << (free - take);
      pos += take;
      left -= take;
    }
    this.bitLength = pos;
  }

  writeBit(bit: boolean): void {
    this.ensure(1);
    if (bit) this.buf[this.bitLength >>> 3]! |= 0x80 >>> (this.bitLength & 7);
    this.bitLength++;
  }

  /** Pads with zero bits to the next octet boundary (X.691 3.7.2 "octet-aligned"). */
  align(): void {
    this.bitLength = (this.bitLength + 7) & ~7;
    this.ensure(0);
  }

  /** Writes whole octets at the current (not necessarily aligned) position. */
  writeBytes(bytes: Uint8Array): void {
    if ((this.bitLength & 7) === 0) {
      this.ensure(bytes.length * 8);
      this.buf.set(bytes, this.bitLength >>> 3);
      this.bitLength += bytes.length * 8;
      return;
    }
    for (const b of bytes) this.writeBits(b, 8);
  }

  /** Writes the first `bitCount` bits of `data` (MSB first). */
  writeBitString(data: Uint8Array, bitCount: number): void {
    const whole = bitCount >>> 3;
    this.writeBytes(data.subarray(0, whole));
    const rest = bitCount & 7;
    if (rest) this.writeBits((data[whole] ?? 0) >>> (8 - rest), rest);
  }

  /** The encoding so far, padded with zero bits to whole octets. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, (this.bitLength + 7) >>> 3);
  }
}

/** Growable big-endian bit buffer for the PER encoder (X.691 bits are written MSB first). */
export class BitWriter {
  private buf = new Uint8Array(64);
  /** Number of bits written. */
  bitLength = 0;

  private ensure(bits: number): void {
    const needed = (this.bitLength + bits + 7) >>> 3;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf);
    this.buf = next;
  }

  /** Writes the `count` (0..32) low bits of `value`, most significant first. */
  writeBits(value: number, count: number): void {
    if (count === 0) return;
    this.ensure(count);
    for (let i = count - 1; i >= 0; i--) {
      // count ≤ 32, so a division keeps values ≥ 2^31 exact.
      const bit = Math.floor(value / 2 ** i) & 1;
      if (bit) this.buf[this.bitLength >>> 3]! |= 0x80 >>> (this.bitLength & 7);
      this.bitLength++;
    }
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

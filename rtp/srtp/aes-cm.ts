import { createCipheriv, type Cipher } from 'node:crypto';
import { aesEcbName } from './suites.ts';

const BLOCK = 16;

/**
 * AES in Counter Mode as SRTP uses it (RFC 3711 4.1.1). One AES-ECB cipher object per session
 * key, kept for the life of the key: ECB has no chaining state, so encrypting a run of counter
 * blocks with `update` yields the keystream without a createCipheriv per packet.
 */
export class AesCmKeystream {
  private readonly ecb: Cipher;
  private counters = Buffer.alloc(BLOCK * 128);

  constructor(sessionKey: Buffer) {
    this.ecb = createCipheriv(aesEcbName(sessionKey.length), sessionKey, null).setAutoPadding(false);
  }

  /**
   * XORs the keystream for `iv` (128 bits, low 16 bits zero) into `data[start, end)` in place.
   * The counter is iv + block number, in the low 16 bits (4.1.1: at most 2^16 blocks).
   */
  xorInPlace(iv: Buffer, data: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len <= 0) return;
    const blocks = Math.ceil(len / BLOCK);
    if (blocks > 0xffff) throw new RangeError('AES-CM: packet longer than 2^16 blocks');
    if (this.counters.length < blocks * BLOCK) this.counters = Buffer.alloc(blocks * BLOCK);
    const c = this.counters;
    for (let b = 0; b < blocks; b++) {
      const o = b * BLOCK;
      iv.copy(c, o, 0, 14);
      c[o + 14] = iv[14]! ^ (b >>> 8);
      c[o + 15] = iv[15]! ^ (b & 0xff);
    }
    const ks = this.ecb.update(c.subarray(0, blocks * BLOCK));
    for (let i = 0; i < len; i++) data[start + i]! ^= ks[i]!;
  }

  /** The raw keystream for `iv`, `length` bytes (RFC 3711 B.2 test vectors). */
  keystream(iv: Buffer, length: number): Buffer {
    const out = Buffer.alloc(length);
    this.xorInPlace(iv, out, 0, length);
    return out;
  }
}

import { createHash, type Hash } from 'node:crypto';

const SHA1_BLOCK = 64;

/**
 * HMAC-SHA1 (RFC 2104) with the keyed inner and outer hash states computed once per session
 * key and copied per message (`Hash.copy()`), instead of re-keying a createHmac per packet.
 */
export class HmacSha1 {
  private readonly inner: Hash;
  private readonly outer: Hash;

  constructor(key: Buffer) {
    const k = Buffer.alloc(SHA1_BLOCK);
    (key.length > SHA1_BLOCK ? createHash('sha1').update(key).digest() : key).copy(k);
    const ipad = Buffer.alloc(SHA1_BLOCK);
    const opad = Buffer.alloc(SHA1_BLOCK);
    for (let i = 0; i < SHA1_BLOCK; i++) {
      ipad[i] = k[i]! ^ 0x36;
      opad[i] = k[i]! ^ 0x5c;
    }
    this.inner = createHash('sha1').update(ipad);
    this.outer = createHash('sha1').update(opad);
  }

  /** HMAC over the concatenation of `parts`. */
  digest(...parts: Buffer[]): Buffer {
    const h = this.inner.copy();
    for (const p of parts) h.update(p);
    return this.outer.copy().update(h.digest()).digest();
  }
}

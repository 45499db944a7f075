/**
 * Self-validating nonces (RFC 7616 3.3 suggests `time-stamp H(time-stamp ":" ETag ":" secret)`):
 * base64url(issuedAtMs[8] | random[8] | HMAC-SHA256(secret, issuedAt|random|realm)[16]).
 * The server keeps no per-nonce state; expiry is checked from the embedded time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TIME_LEN = 8;
const RAND_LEN = 8;
const MAC_LEN = 16;

export type NonceCheck = { valid: true; expired: boolean } | { valid: false };

export class NonceIssuer {
  constructor(private readonly secret: Buffer, private readonly realm: string, private readonly ttlMs: number,
    private readonly now: () => number) {}

  issue(): string {
    const head = Buffer.alloc(TIME_LEN + RAND_LEN);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))), 0);
    randomBytes(RAND_LEN).copy(head, TIME_LEN);
    return Buffer.concat([head, this.mac(head)]).toString('base64url');
  }

  check(nonce: string): NonceCheck {
    if (nonce.length > 64) return { valid: false };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== TIME_LEN + RAND_LEN + MAC_LEN || raw.toString('base64url') !== nonce) return { valid: false };
    const head = raw.subarray(0, TIME_LEN + RAND_LEN);
    if (!timingSafeEqual(raw.subarray(TIME_LEN + RAND_LEN), this.mac(head))) return { valid: false };
    const issued = Number(head.readBigUInt64BE(0));
    const age = this.now() - issued;
    // A nonce from the future (clock stepped back) is treated as expired, not forged.
    return { valid: true, expired: age < 0 || age > this.ttlMs };
  }

  private mac(head: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(head).update(this.realm).digest().subarray(0, MAC_LEN);
  }
}

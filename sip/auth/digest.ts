/** The digest computation itself (RFC 7616 3.4.1-3.4.3, RFC 8760 2; RFC 2617 3.2.2 for MD5). */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Algorithms for SIP digest (RFC 8760 2.6 registry; `-sess` variants RFC 7616 3.4.2). */
export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'SHA-512-256' | 'MD5-sess' | 'SHA-256-sess' | 'SHA-512-256-sess';

export const SUPPORTED_ALGORITHMS: readonly DigestAlgorithm[] =
  ['SHA-512-256', 'SHA-256', 'MD5', 'SHA-512-256-sess', 'SHA-256-sess', 'MD5-sess'];

const NODE_HASH: Record<string, string> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Case-insensitive lookup of an algorithm name; undefined when not supported. */
export function toAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  // RFC 7616 3.3: absent algorithm means MD5.
  if (name === undefined) return 'MD5';
  const lower = name.toLowerCase();
  return SUPPORTED_ALGORITHMS.find((a) => a.toLowerCase() === lower);
}

function hashHex(alg: DigestAlgorithm, data: string | Buffer): string {
  return createHash(NODE_HASH[alg.replace(/-sess$/, '')]).update(data).digest('hex');
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  /** 'auth' | 'auth-int' | undefined (RFC 2069 compatibility, RFC 7616 3.4.1 last paragraph). */
  qop?: 'auth' | 'auth-int';
  nc?: string;
  cnonce?: string;
  /** Entity body, for auth-int (RFC 7616 3.4.3). */
  body?: Buffer;
}

/** The `response` value: KD(H(A1), nonce:nc:cnonce:qop:H(A2)) (RFC 7616 3.4.1). */
export function computeResponse(d: DigestInput): string {
  // RFC 7616 3.4.2: A1 = user:realm:password; -sess: H(user:realm:password):nonce:cnonce.
  let ha1 = hashHex(d.algorithm, `${d.username}:${d.realm}:${d.password}`);
  if (d.algorithm.endsWith('-sess')) ha1 = hashHex(d.algorithm, `${ha1}:${d.nonce}:${d.cnonce ?? ''}`);
  // RFC 7616 3.4.3: A2 = method:uri, plus :H(body) for auth-int.
  const a2 = d.qop === 'auth-int'
    ? `${d.method}:${d.uri}:${hashHex(d.algorithm, d.body ?? Buffer.alloc(0))}`
    : `${d.method}:${d.uri}`;
  const ha2 = hashHex(d.algorithm, a2);
  if (d.qop === undefined) return hashHex(d.algorithm, `${ha1}:${d.nonce}:${ha2}`); // RFC 2069 form
  return hashHex(d.algorithm, `${ha1}:${d.nonce}:${d.nc ?? ''}:${d.cnonce ?? ''}:${d.qop}:${ha2}`);
}

/** Constant-time comparison of two hex strings (RFC 7616 5.x: avoid timing oracles). */
export function safeEqualHex(a: string, b: string): boolean {
  const ab = Buffer.from(a.toLowerCase(), 'utf8');
  const bb = Buffer.from(b.toLowerCase(), 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}

/**
 * SRTP crypto suites we implement, with the parameters of their SDES registrations
 * (RFC 4568 6.2.1/6.2.2; RFC 7714 12 and 14.1). Listed in our order of preference.
 */
export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'] as const;

export type SrtpSuiteName = (typeof SRTP_SUITES)[number];

export interface SrtpSuite {
  name: SrtpSuiteName;
  /** Master (and session) encryption key, bytes. */
  keyLength: number;
  /** Master salt, bytes: 112 bits for AES-CM (RFC 3711 8.2), 96 bits for GCM (RFC 7714 12). */
  saltLength: number;
  /** AEAD (GCM) rather than AES-CM + HMAC-SHA1. */
  aead: boolean;
  /** SRTP authentication tag, bytes: 10 or 4 (HMAC-SHA1-80/32), 16 (GCM, RFC 7714 7). */
  rtpTagLength: number;
  /** SRTCP tag: 10 for both AES-CM suites (RFC 4568 6.2.2: _32 is for SRTP only), 16 for GCM. */
  rtcpTagLength: number;
}

const table: Record<SrtpSuiteName, SrtpSuite> = {
  AES_CM_128_HMAC_SHA1_80: { name: 'AES_CM_128_HMAC_SHA1_80', keyLength: 16, saltLength: 14, aead: false, rtpTagLength: 10, rtcpTagLength: 10 },
  AES_CM_128_HMAC_SHA1_32: { name: 'AES_CM_128_HMAC_SHA1_32', keyLength: 16, saltLength: 14, aead: false, rtpTagLength: 4, rtcpTagLength: 10 },
  AEAD_AES_128_GCM: { name: 'AEAD_AES_128_GCM', keyLength: 16, saltLength: 12, aead: true, rtpTagLength: 16, rtcpTagLength: 16 },
  AEAD_AES_256_GCM: { name: 'AEAD_AES_256_GCM', keyLength: 32, saltLength: 12, aead: true, rtpTagLength: 16, rtcpTagLength: 16 },
};

export function srtpSuite(name: SrtpSuiteName): SrtpSuite {
  return table[name];
}

/** The suite named `name` (case as registered), or undefined for one we do not implement. */
export function findSrtpSuite(name: string): SrtpSuite | undefined {
  return (SRTP_SUITES as readonly string[]).includes(name) ? table[name as SrtpSuiteName] : undefined;
}

/** RFC 3711 4.3.1 / RFC 6188: the AES variant of the key derivation PRF and of AES-CM. */
export function aesEcbName(keyLength: number): 'aes-128-ecb' | 'aes-256-ecb' {
  return keyLength === 32 ? 'aes-256-ecb' : 'aes-128-ecb';
}

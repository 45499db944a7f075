import { createCipheriv } from 'node:crypto';
import { aesEcbName, type SrtpSuite } from './suites.ts';

/** RFC 3711 4.3.2: key derivation labels. */
export const enum KdfLabel {
  RtpEncryption = 0x00,
  RtpAuthentication = 0x01,
  RtpSalt = 0x02,
  RtcpEncryption = 0x03,
  RtcpAuthentication = 0x04,
  RtcpSalt = 0x05,
}

/** RFC 3711 4.2.1: HMAC-SHA1 session authentication key, 160 bits. */
const AUTH_KEY_LENGTH = 20;

/** Session keys of one direction of one crypto context (RFC 3711 3.2.1). */
export interface SessionKeys {
  rtpKey: Buffer;
  rtpSalt: Buffer;
  /** Empty for AEAD suites (RFC 7714 11: no authentication key is derived). */
  rtpAuthKey: Buffer;
  rtcpKey: Buffer;
  rtcpSalt: Buffer;
  rtcpAuthKey: Buffer;
}

/**
 * RFC 3711 4.3.1 with key_derivation_rate 0 (r = 0, the default of RFC 4568 6.2): each
 * session key is the AES-CM keystream (4.3.3 PRF) under the master key, for the IV
 * x·2^16 where x = (label·2^48) XOR master_salt. The master salt occupies the high bytes of
 * the 112-bit x; a 96-bit GCM salt is padded with zero bits at the low end (RFC 7714 11).
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: KdfLabel, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, Math.min(masterSalt.length, 14));
  iv[7]! ^= label; // key_id = label || r (48 bits of r, all zero): label sits 48 bits above the low end of x
  const blocks = Math.ceil(length / 16);
  const counters = Buffer.alloc(blocks * 16);
  for (let i = 0; i < blocks; i++) {
    iv.copy(counters, i * 16);
    counters.writeUInt16BE(i, i * 16 + 14); // the low 16 bits count the blocks
  }
  const ecb = createCipheriv(aesEcbName(masterKey.length), masterKey, null).setAutoPadding(false);
  return ecb.update(counters).subarray(0, length);
}

/** All six session keys of `suite` from one master key and salt (RFC 3711 4.3.2). */
export function deriveSessionKeys(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer): SessionKeys {
  const auth = suite.aead ? 0 : AUTH_KEY_LENGTH;
  const d = (label: KdfLabel, n: number) => (n === 0 ? Buffer.alloc(0) : deriveSessionKey(masterKey, masterSalt, label, n));
  return {
    rtpKey: d(KdfLabel.RtpEncryption, suite.keyLength),
    rtpSalt: d(KdfLabel.RtpSalt, suite.saltLength),
    rtpAuthKey: d(KdfLabel.RtpAuthentication, auth),
    rtcpKey: d(KdfLabel.RtcpEncryption, suite.keyLength),
    rtcpSalt: d(KdfLabel.RtcpSalt, suite.saltLength),
    rtcpAuthKey: d(KdfLabel.RtcpAuthentication, auth),
  };
}

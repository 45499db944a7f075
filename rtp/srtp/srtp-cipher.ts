import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AesCmKeystream } from './aes-cm.ts';
import { HmacSha1 } from './hmac-sha1.ts';
import { deriveSessionKeys, type SessionKeys } from './key-derivation.ts';
import type { SrtpSuite } from './suites.ts';

/** RFC 3711 3.4: the E flag of the SRTCP index word. */
const E_FLAG = 0x80000000;
/** Bytes of the SRTCP trailer word E || SRTCP index (RFC 3711 3.4). */
export const SRTCP_INDEX_LENGTH = 4;
/** RFC 3711 3.4: the first 8 octets (header and sender SSRC) of SRTCP stay in the clear. */
export const SRTCP_CLEAR_LENGTH = 8;

/**
 * SRTP (RFC 3711 3.1) and SRTCP (3.4) packets; with AEAD suites (RFC 7714 8.2, 9.2) the tag is
 * the GCM tag and, for SRTCP, comes before the E || index word.
 *
 *   SRTP:   | RTP header (+CSRC, +ext) | encrypted payload (+padding) | [MKI] | auth tag |
 *            <---------------- authenticated portion ---------------->
 *   SRTCP:  | V P RC PT len | SSRC | encrypted rest of the compound | E | SRTCP index (31) |
 *           | [MKI] | auth tag |                          (AES-CM + HMAC-SHA1)
 *   SRTCP:  | V P RC PT len | SSRC | encrypted rest | GCM tag | E | SRTCP index |  (AEAD)
 *
 * We never send an MKI and do not accept offers that use one (gateway/sdp/sdes.ts).
 *
 * The transforms of one master key (one direction of an SDES crypto attribute): session keys
 * derived once (RFC 3711 4.3), cipher and MAC objects kept for their lifetime. Stateless as to
 * packet indices: the caller (SrtpSession) owns ROC, SRTCP index and replay state.
 * Decryption returns undefined when the tag does not verify; nothing is thrown per packet.
 */
export class SrtpCipher {
  readonly suite: SrtpSuite;
  private readonly keys: SessionKeys;
  private readonly rtpCm?: AesCmKeystream;
  private readonly rtcpCm?: AesCmKeystream;
  private readonly rtpMac?: HmacSha1;
  private readonly rtcpMac?: HmacSha1;
  private readonly gcmName: 'aes-128-gcm' | 'aes-256-gcm';
  private readonly iv = Buffer.alloc(16);
  private readonly rocBuf = Buffer.alloc(4);

  /** From session keys (RFC 7714 16/17 give session keys); usually built by `fromMasterKey`. */
  constructor(suite: SrtpSuite, keys: SessionKeys) {
    this.suite = suite;
    this.keys = keys;
    this.gcmName = suite.keyLength === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
    if (!suite.aead) {
      this.rtpCm = new AesCmKeystream(keys.rtpKey);
      this.rtcpCm = new AesCmKeystream(keys.rtcpKey);
      this.rtpMac = new HmacSha1(keys.rtpAuthKey);
      this.rtcpMac = new HmacSha1(keys.rtcpAuthKey);
    }
  }

  /** Derives the session keys of one master key and salt (RFC 3711 4.3, KDR 0). */
  static fromMasterKey(suite: SrtpSuite, masterKey: Buffer, masterSalt: Buffer): SrtpCipher {
    if (masterKey.length !== suite.keyLength || masterSalt.length !== suite.saltLength) {
      throw new RangeError(`${suite.name}: master key/salt must be ${suite.keyLength}/${suite.saltLength} bytes`);
    }
    return new SrtpCipher(suite, deriveSessionKeys(suite, masterKey, masterSalt));
  }

  /** SRTP packet = header || E(payload) || tag (RFC 3711 3.1; RFC 7714 8.2). `headerLength` incl. CSRCs/extension. */
  protectRtp(rtp: Buffer, headerLength: number, roc: number): Buffer {
    const ssrc = rtp.readUInt32BE(8);
    const seq = rtp.readUInt16BE(2);
    if (this.suite.aead) {
      const iv = this.gcmIv(this.keys.rtpSalt, ssrc, roc >>> 16, ((roc & 0xffff) << 16) | seq);
      const gcm = createCipheriv(this.gcmName, this.keys.rtpKey, iv, { authTagLength: 16 });
      gcm.setAAD(rtp.subarray(0, headerLength)); // RFC 7714 8.2: the whole header is AAD
      const ct = gcm.update(rtp.subarray(headerLength));
      gcm.final();
      return Buffer.concat([rtp.subarray(0, headerLength), ct, gcm.getAuthTag()]);
    }
    const tagLen = this.suite.rtpTagLength;
    const out = Buffer.allocUnsafe(rtp.length + tagLen);
    rtp.copy(out);
    this.rtpCm!.xorInPlace(this.cmIv(this.keys.rtpSalt, ssrc, roc, seq), out, headerLength, rtp.length);
    this.rocBuf.writeUInt32BE(roc >>> 0);
    // RFC 3711 4.2: M = Authenticated Portion || ROC, tag = leftmost bits of HMAC-SHA1
    this.rtpMac!.digest(out.subarray(0, rtp.length), this.rocBuf).copy(out, rtp.length, 0, tagLen);
    return out;
  }

  /** The plain RTP packet, or undefined if the tag does not verify under `roc`. */
  unprotectRtp(srtp: Buffer, headerLength: number, roc: number): Buffer | undefined {
    const tagLen = this.suite.rtpTagLength;
    const end = srtp.length - tagLen;
    if (end < headerLength) return undefined;
    const ssrc = srtp.readUInt32BE(8);
    const seq = srtp.readUInt16BE(2);
    if (this.suite.aead) {
      const iv = this.gcmIv(this.keys.rtpSalt, ssrc, roc >>> 16, ((roc & 0xffff) << 16) | seq);
      const gcm = createDecipheriv(this.gcmName, this.keys.rtpKey, iv, { authTagLength: 16 });
      gcm.setAAD(srtp.subarray(0, headerLength));
      gcm.setAuthTag(srtp.subarray(end));
      const pt = gcm.update(srtp.subarray(headerLength, end));
      try {
        gcm.final(); // RFC 7714 8.2: the tag must verify before anything is released
      } catch {
        return undefined;
      }
      return Buffer.concat([srtp.subarray(0, headerLength), pt]);
    }
    this.rocBuf.writeUInt32BE(roc >>> 0);
    const mac = this.rtpMac!.digest(srtp.subarray(0, end), this.rocBuf);
    if (!tagEquals(mac, srtp, end, tagLen)) return undefined; // RFC 3711 3.3 step 5: verify first
    const out = Buffer.from(srtp.subarray(0, end));
    this.rtpCm!.xorInPlace(this.cmIv(this.keys.rtpSalt, ssrc, roc, seq), out, headerLength, end);
    return out;
  }

  /**
   * SRTCP packet (RFC 3711 3.4): first 8 octets clear, the rest encrypted, then E || index and
   * the tag; for GCM (RFC 7714 9.2) the tag precedes E || index and both clear parts are AAD.
   */
  protectRtcp(rtcp: Buffer, index: number, tagLength = this.suite.rtcpTagLength): Buffer {
    const ssrc = rtcp.readUInt32BE(4);
    const word = (E_FLAG | index) >>> 0;
    if (this.suite.aead) {
      const trailer = Buffer.allocUnsafe(SRTCP_INDEX_LENGTH);
      trailer.writeUInt32BE(word);
      const gcm = createCipheriv(this.gcmName, this.keys.rtcpKey, this.gcmIv(this.keys.rtcpSalt, ssrc, 0, index), { authTagLength: 16 });
      gcm.setAAD(Buffer.concat([rtcp.subarray(0, SRTCP_CLEAR_LENGTH), trailer])); // RFC 7714 9.2 AAD
      const ct = gcm.update(rtcp.subarray(SRTCP_CLEAR_LENGTH));
      gcm.final();
      return Buffer.concat([rtcp.subarray(0, SRTCP_CLEAR_LENGTH), ct, gcm.getAuthTag(), trailer]);
    }
    const tagLen = tagLength;
    const out = Buffer.allocUnsafe(rtcp.length + SRTCP_INDEX_LENGTH + tagLen);
    rtcp.copy(out);
    this.rtcpCm!.xorInPlace(this.cmIv(this.keys.rtcpSalt, ssrc, index >>> 16, index & 0xffff), out, SRTCP_CLEAR_LENGTH, rtcp.length);
    out.writeUInt32BE(word, rtcp.length);
    const authEnd = rtcp.length + SRTCP_INDEX_LENGTH;
    this.rtcpMac!.digest(out.subarray(0, authEnd)).copy(out, authEnd, 0, tagLen); // RFC 3711 4.2: no ROC for SRTCP
    return out;
  }

  /** Reads the SRTCP index word: { index, encrypted }, or undefined if too short. */
  srtcpIndex(srtcp: Buffer, tagLen = this.suite.rtcpTagLength): { index: number; encrypted: boolean } | undefined {
    const at = this.suite.aead ? srtcp.length - SRTCP_INDEX_LENGTH : srtcp.length - tagLen - SRTCP_INDEX_LENGTH;
    const minimum = SRTCP_CLEAR_LENGTH + SRTCP_INDEX_LENGTH + tagLen;
    if (srtcp.length < minimum) return undefined;
    const word = srtcp.readUInt32BE(at);
    return { index: word & 0x7fffffff, encrypted: (word & E_FLAG) !== 0 };
  }

  /** The plain compound RTCP packet, or undefined if it is too short or the tag does not verify. */
  unprotectRtcp(srtcp: Buffer, tagLen = this.suite.rtcpTagLength): Buffer | undefined {
    const info = this.srtcpIndex(srtcp, tagLen);
    if (!info) return undefined;
    const ssrc = srtcp.readUInt32BE(4);
    if (this.suite.aead) {
      const tagAt = srtcp.length - SRTCP_INDEX_LENGTH - tagLen;
      const trailer = srtcp.subarray(srtcp.length - SRTCP_INDEX_LENGTH);
      const gcm = createDecipheriv(this.gcmName, this.keys.rtcpKey, this.gcmIv(this.keys.rtcpSalt, ssrc, 0, info.index), { authTagLength: 16 });
      gcm.setAuthTag(srtcp.subarray(tagAt, tagAt + tagLen));
      if (info.encrypted) {
        gcm.setAAD(Buffer.concat([srtcp.subarray(0, SRTCP_CLEAR_LENGTH), trailer]));
        const pt = gcm.update(srtcp.subarray(SRTCP_CLEAR_LENGTH, tagAt));
        if (!finalOk(gcm)) return undefined;
        return Buffer.concat([srtcp.subarray(0, SRTCP_CLEAR_LENGTH), pt]);
      }
      // RFC 7714 9.3: E = 0, the whole RTCP packet and the trailer are AAD, nothing is encrypted
      gcm.setAAD(Buffer.concat([srtcp.subarray(0, tagAt), trailer]));
      if (!finalOk(gcm)) return undefined;
      return Buffer.from(srtcp.subarray(0, tagAt));
    }
    const authEnd = srtcp.length - tagLen;
    const mac = this.rtcpMac!.digest(srtcp.subarray(0, authEnd));
    if (!tagEquals(mac, srtcp, authEnd, tagLen)) return undefined;
    const end = authEnd - SRTCP_INDEX_LENGTH;
    const out = Buffer.from(srtcp.subarray(0, end));
    if (info.encrypted) this.rtcpCm!.xorInPlace(this.cmIv(this.keys.rtcpSalt, ssrc, info.index >>> 16, info.index & 0xffff), out, SRTCP_CLEAR_LENGTH, end);
    return out;
  }

  /**
   * RFC 3711 4.1.1: IV = (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16), i the 48-bit index
   * (ROC || SEQ for SRTP, the 31-bit SRTCP index for SRTCP, 4.1.1 last paragraph).
   */
  private cmIv(salt: Buffer, ssrc: number, high32: number, low16: number): Buffer {
    const iv = this.iv;
    salt.copy(iv, 0, 0, 14);
    iv[14] = 0;
    iv[15] = 0;
    iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
    iv.writeUInt32BE((iv.readUInt32BE(8) ^ high32) >>> 0, 8); // index bits 47..16
    iv.writeUInt16BE(iv.readUInt16BE(12) ^ low16, 12); // index bits 15..0
    return iv;
  }

  /**
   * RFC 7714 8.1 / 9.1: the 12-octet IV = (00 00 || SSRC || w1 || w2) XOR salt, where for SRTP
   * w1 || w2 = ROC || SEQ (16 + 32 bits) and for SRTCP 00 00 || 0 || SRTCP index.
   */
  private gcmIv(salt: Buffer, ssrc: number, w1: number, w2: number): Buffer {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(ssrc >>> 0, 2);
    iv.writeUInt16BE(w1 & 0xffff, 6);
    iv.writeUInt32BE(w2 >>> 0, 8);
    for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
    return iv;
  }
}

function finalOk(d: { final(): Buffer }): boolean {
  try {
    d.final();
    return true;
  } catch {
    return false;
  }
}

/** Constant-time comparison of the first `len` bytes of `mac` with `pkt[at, at+len)`. */
function tagEquals(mac: Buffer, pkt: Buffer, at: number, len: number): boolean {
  if (pkt.length - at !== len) return false;
  let diff = 0;
  for (let i = 0; i < len; i++) diff |= mac[i]! ^ pkt[at + i]!;
  return diff === 0;
}

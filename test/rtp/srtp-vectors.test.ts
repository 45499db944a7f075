// SRTP/SRTCP (rtp/srtp) against the RFCs' own test vectors, plus the behaviours the vectors do
// not cover: round trips for every suite, rollover counter wrap, replay list, tamper → drop.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpPacket } from '../../rtp/index.ts';
import {
  AesCmKeystream, deriveSessionKey, KdfLabel, ReplayWindow, RolloverState, SRTP_SUITES, SrtpCipher, SrtpSession,
  srtpSuite, type SrtpSuiteName,
} from '../../rtp/srtp/index.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 Appendix B', () => {
  it('B.2: the AES-CM keystream for SSRC 0, index 0 (first and last blocks of 0xFF02)', () => {
    const ks = new AesCmKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C')).keystream(hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000'), 0xff02 * 16);
    expect(ks.subarray(0, 48).toString('hex').toUpperCase()).toBe(
      'E03EAD0935C95E80E166B16DD92B4EB4' + 'D23513162B02D0F72A43A2FE4A5F97AB' + '41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(ks.subarray(0xfeff * 16).toString('hex').toUpperCase()).toBe(
      'EC8CDF7398607CB0F2D21675EA9EA1E4' + '362B7C3C6773516318A077D7FC5073AE' + '6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.3: key derivation gives the cipher key, cipher salt and authentication key', () => {
    const key = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const salt = hex('0EC675AD498AFEEBB6960B3AABE6');
    expect(deriveSessionKey(key, salt, KdfLabel.RtpEncryption, 16).toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(deriveSessionKey(key, salt, KdfLabel.RtpSalt, 14).toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(deriveSessionKey(key, salt, KdfLabel.RtpAuthentication, 20).toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });
});

describe('RFC 7714 sections 16 and 17 (session keys given directly)', () => {
  const salt = hex('517569642070726f2071756f');
  const key128 = hex('000102030405060708090a0b0c0d0e0f');
  const key256 = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const cipher = (suite: SrtpSuiteName, key: Buffer) => new SrtpCipher(srtpSuite(suite), {
    rtpKey: key, rtpSalt: salt, rtpAuthKey: Buffer.alloc(0), rtcpKey: key, rtcpSalt: salt, rtcpAuthKey: Buffer.alloc(0),
  });
  // "Gallia est omnis divisa in partes tres", SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0
  const rtp = hex('8040f17b8041f8d35501a0b2 47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573');
  const srtp128 = hex('8040f17b8041f8d35501a0b2 f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833 899d7f27beb16a9152cf765ee4390cce');
  const srtp256 = hex('8040f17b8041f8d35501a0b2 32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b 7aa3db36dfffd6b0f9bb7878d7a76c13');
  // Section 17: SR of SSRC "Mars", SRTCP index 0x5d4
  const rtcp = hex('81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef');
  const srtcp128 = hex('81c8000d4d617273 63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa458 96cf4d2fc5abf87245d9eade 800005d4');
  const srtcp256 = hex('81c8000d4d617273 d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c 4446839f57ff6f6cb26ac3be 800005d4');
  const srtcp128TagOnly = hex('81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef 841dd9683dd78ec92ae58790125f62b3 000005d4');

  it.each([
    ['16.1 AEAD_AES_128_GCM', 'AEAD_AES_128_GCM', key128, srtp128],
    ['16.2 AEAD_AES_256_GCM', 'AEAD_AES_256_GCM', key256, srtp256],
  ] as const)('%s: SRTP protect gives the published packet and unprotect inverts it', (_, suite, key, expected) => {
    expect(cipher(suite, key).protectRtp(rtp, 12, 0).toString('hex')).toBe(expected.toString('hex'));
    expect(cipher(suite, key).unprotectRtp(expected, 12, 0)?.toString('hex')).toBe(rtp.toString('hex'));
  });

  it.each([
    ['17.1 AEAD_AES_128_GCM', 'AEAD_AES_128_GCM', key128, srtcp128],
    ['17.2 AEAD_AES_256_GCM', 'AEAD_AES_256_GCM', key256, srtcp256],
  ] as const)('%s: SRTCP with E-flag and index 0x5d4 after the tag', (_, suite, key, expected) => {
    expect(cipher(suite, key).protectRtcp(rtcp, 0x5d4).toString('hex')).toBe(expected.toString('hex'));
    expect(cipher(suite, key).unprotectRtcp(expected)?.toString('hex')).toBe(rtcp.toString('hex'));
  });

  it('17.3: an SRTCP packet with E = 0 (authenticated only) is verified and returned as is', () => {
    expect(cipher('AEAD_AES_128_GCM', key128).unprotectRtcp(srtcp128TagOnly)?.toString('hex')).toBe(rtcp.toString('hex'));
  });

  it('a GCM packet whose tag, header (AAD) or ciphertext changed is refused', () => {
    for (const at of [1, 20, srtp128.length - 1]) {
      const bad = Buffer.from(srtp128);
      bad[at]! ^= 0x01;
      expect(cipher('AEAD_AES_128_GCM', key128).unprotectRtp(bad, 12, 0)).toBeUndefined();
    }
    const badIndex = Buffer.from(srtcp128);
    badIndex[badIndex.length - 1]! ^= 0x01; // the E||index word is AAD (RFC 7714 9.2)
    expect(cipher('AEAD_AES_128_GCM', key128).unprotectRtcp(badIndex)).toBeUndefined();
  });
});

function keyFor(suite: SrtpSuiteName): Buffer {
  const s = srtpSuite(suite);
  return randomBytes(s.keyLength + s.saltLength);
}

function pair(suite: SrtpSuiteName): { alice: SrtpSession; bob: SrtpSession } {
  const a = keyFor(suite);
  const b = keyFor(suite);
  return {
    alice: new SrtpSession({ suite, localKey: a, remoteKey: b }),
    bob: new SrtpSession({ suite, localKey: b, remoteKey: a }),
  };
}

function rtpPacket(seq: number, ssrc = 0x11223344, payload = Buffer.alloc(160, seq & 0xff)): Buffer {
  return new RtpPacket({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc, payload }).encode();
}

describe.each(SRTP_SUITES)('SrtpSession %s', (suite) => {
  const params = srtpSuite(suite);

  it('round-trips RTP with CSRCs and a header extension; the header stays in the clear, the payload does not', () => {
    const { alice, bob } = pair(suite);
    const plain = new RtpPacket({
      payloadType: 96, sequenceNumber: 1000, timestamp: 5, ssrc: 7, csrcs: [1, 2], marker: true,
      headerExtension: { profile: 0xbede, data: Buffer.from([0x10, 0xaa, 0, 0]) }, payload: Buffer.alloc(160, 0x55),
    }).encode();
    const sent = alice.protectRtp(plain);
    expect(sent.length).toBe(plain.length + params.rtpTagLength);
    const headerLength = plain.length - 160;
    expect(sent.subarray(0, headerLength)).toEqual(plain.subarray(0, headerLength));
    expect(sent.subarray(headerLength, headerLength + 160)).not.toEqual(plain.subarray(headerLength));
    expect(bob.unprotectRtp(sent)).toEqual(plain);
  });

  it('round-trips compound RTCP with an incrementing SRTCP index (E flag set)', () => {
    const { alice, bob } = pair(suite);
    const rr = Buffer.from('81c90007' + '00000007' + '00000001' + '00000000' + '00000000' + '00000000' + '00000000' + '00000000', 'hex');
    const first = alice.protectRtcp(rr);
    const second = alice.protectRtcp(rr);
    expect(first.length).toBe(rr.length + 4 + params.rtcpTagLength);
    const word = (p: Buffer) => p.readUInt32BE(params.aead ? p.length - 4 : p.length - params.rtcpTagLength - 4);
    expect(word(second) - word(first)).toBe(1);
    expect(word(first) & 0x80000000).not.toBe(0);
    expect(bob.unprotectRtcp(first)).toEqual(rr);
    expect(bob.unprotectRtcp(second)).toEqual(rr);
    expect(bob.unprotectRtcp(second)).toBe('replay');
    expect(bob.stats()).toMatchObject({ rtcpUnprotected: 2, replays: 1 });
  });

  it('keeps decrypting across a sequence number wrap (ROC 0 → 1), with reordering around it', () => {
    const { alice, bob } = pair(suite);
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 65536, 65537, 65538, 65539];
    const sent = seqs.map((s) => alice.protectRtp(rtpPacket(s)));
    // deliver 65530..65533, then 65536 (ROC 1) before the late 65534/65535 (ROC 0)
    const order = [0, 1, 2, 3, 6, 4, 5, 7, 8, 9];
    for (const i of order) expect(bob.unprotectRtp(sent[i]!)).toEqual(rtpPacket(seqs[i]!));
    expect(bob.stats()).toMatchObject({ rtpUnprotected: 10, authFailures: 0, replays: 0 });
  });

  it('drops a replayed packet and one older than the 64-packet window, counting them', () => {
    const { alice, bob } = pair(suite);
    const old = alice.protectRtp(rtpPacket(10));
    const sent = Array.from({ length: 80 }, (_, i) => alice.protectRtp(rtpPacket(11 + i)));
    for (const p of sent) expect(bob.unprotectRtp(p)).toBeInstanceOf(Buffer);
    expect(bob.unprotectRtp(sent[79]!)).toBe('replay');
    expect(bob.unprotectRtp(old)).toBe('replay');
    expect(bob.stats()).toMatchObject({ replays: 2, rtpUnprotected: 80 });
  });

  it('drops a tampered packet without advancing any state; the genuine one still passes', () => {
    const { alice, bob } = pair(suite);
    const good = alice.protectRtp(rtpPacket(500));
    for (const at of [3, 20, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x80;
      expect(bob.unprotectRtp(bad)).toBe('auth');
    }
    expect(bob.unprotectRtp(good.subarray(0, 12))).toBe('malformed');
    expect(bob.unprotectRtp(good)).toEqual(rtpPacket(500));
    expect(bob.stats()).toMatchObject({ authFailures: 3, malformed: 1, rtpUnprotected: 1 });
  });

  it('a packet protected with another key is an authentication failure, not garbage', () => {
    const { alice } = pair(suite);
    const { bob } = pair(suite);
    expect(bob.unprotectRtp(alice.protectRtp(rtpPacket(1)))).toBe('auth');
    expect(bob.unprotectRtcp(alice.protectRtcp(Buffer.from('80c9000100000007', 'hex')))).toBe('auth');
  });
});

describe('rollover counter and replay list units', () => {
  it('estimates the ROC as RFC 3711 Appendix A does', () => {
    const r = new RolloverState();
    r.update(65500, 0);
    expect(r.estimateRoc(65535)).toBe(0);
    expect(r.estimateRoc(10)).toBe(1); // s_l >= 2^15 and SEQ far below: wrapped
    r.update(10, 1);
    expect(r.estimateRoc(65530)).toBe(0); // s_l < 2^15 and SEQ far above: from before the wrap
    expect(r.estimateRoc(20)).toBe(1);
  });

  it('the sender ROC increments when SEQ wraps', () => {
    const r = new RolloverState();
    expect(r.next(65535)).toBe(0);
    expect(r.next(0)).toBe(1);
    expect(r.next(65535)).toBe(1); // a late retransmission keeps the counter...
    expect(r.next(1)).toBe(1); // ...and does not count as a second wrap
  });

  it('the replay window accepts each index once and forgets nothing inside 64', () => {
    const w = new ReplayWindow();
    for (const i of [5, 3, 70, 7]) {
      expect(w.check(i)).toBe(true);
      w.accept(i);
    }
    expect(w.check(3)).toBe(false); // 70 - 3 >= 64: too old
    expect(w.check(7)).toBe(false); // seen
    expect(w.check(8)).toBe(true);
    expect(w.check(70)).toBe(false);
  });
});

describe('AES_CM_128_HMAC_SHA1_32 SRTCP tag length', () => {
  it('sends 80-bit SRTCP tags (RFC 5764 4.1.2), accepts a peer\'s 32-bit ones and then mirrors them', () => {
    const { alice, bob } = pair('AES_CM_128_HMAC_SHA1_32');
    const rr = Buffer.from('80c9000100000007', 'hex');
    expect(alice.protectRtcp(rr).length).toBe(rr.length + 4 + 10);
    // a libre-style peer: the same session keys, 32-bit SRTCP tag
    const shortTagPeer = (bob as unknown as { tx: SrtpCipher }).tx;
    const short = shortTagPeer.protectRtcp(rr, 5, 4);
    expect(short.length).toBe(rr.length + 4 + 4);
    expect(alice.unprotectRtcp(short)).toEqual(rr);
    expect(alice.protectRtcp(rr).length).toBe(rr.length + 4 + 4);
    const forged = Buffer.from(short);
    forged[9]! ^= 1;
    expect(alice.unprotectRtcp(forged)).toBe('auth');
  });
});

describe('unprotect never throws (fuzz)', () => {
  it.each(SRTP_SUITES)('%s: truncated and mutated SRTP/SRTCP packets come back as a drop reason, never an exception', (suite) => {
    const { alice, bob } = pair(suite);
    let seed = 4242;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const rtpBase = alice.protectRtp(new RtpPacket({
      payloadType: 0, sequenceNumber: 9, timestamp: 1, ssrc: 3, csrcs: [4], headerExtension: { profile: 0xbede, data: Buffer.alloc(4) }, payload: Buffer.alloc(40, 1),
    }).encode());
    const rtcpBase = alice.protectRtcp(Buffer.from('80c9000100000003', 'hex'));
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const base = i % 2 === 0 ? rtpBase : rtcpBase;
      const b = Buffer.from(base.subarray(0, rnd() % (base.length + 1)));
      for (let k = 0; k < 2 && b.length > 0; k++) b[rnd() % b.length] = rnd();
      const out = i % 2 === 0 ? bob.unprotectRtp(b) : bob.unprotectRtcp(b);
      if (typeof out !== 'string') accepted++;
      else expect(['auth', 'replay', 'malformed']).toContain(out);
    }
    const s = bob.stats();
    expect(s.authFailures + s.replays + s.malformed + s.rtpUnprotected + s.rtcpUnprotected).toBe(4000);
    expect(accepted).toBe(s.rtpUnprotected + s.rtcpUnprotected);
  });
});

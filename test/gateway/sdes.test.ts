// SDES (RFC 4568) in the gateway's SDP offer/answer, and the per-leg SRTP policy.
import { randomBytes } from 'node:crypto';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { negotiateOffer, OfferRejected } from '../../gateway/sdp/negotiate.ts';
import { buildOffer, parseAnswer } from '../../gateway/sdp/offer.ts';
import {
  answerSdes, chooseCrypto, cryptoAttributesBySection, newOfferSecurity, parseCryptoAttribute, type SrtpPolicy,
} from '../../gateway/sdp/sdes.ts';

const policy = { audio: ['PCMU', 'PCMA'] as const, video: ['H264'] as const };
const local = { address: '127.0.0.1', audioPort: 20000, videoPort: 20002, sessionId: '42', sessionVersion: 1 };
const key30 = randomBytes(30).toString('base64');
const key28 = randomBytes(28).toString('base64');

function offer(profile: string, crypto: string[] = [], video = false): string {
  const lines = ['v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', `m=audio 4000 ${profile} 0`, ...crypto];
  if (video) lines.push(`m=video 4002 ${profile}F 97`, 'a=rtpmap:97 H264/90000', 'a=fmtp:97 packetization-mode=1', ...crypto);
  return `${lines.join('\r\n')}\r\n`;
}

function rejection(fn: () => unknown): OfferRejected {
  try {
    fn();
  } catch (err) {
    if (err instanceof OfferRejected) return err;
    throw err;
  }
  throw new Error('expected OfferRejected');
}

describe('a=crypto grammar (RFC 4568 9.1)', () => {
  it('parses tag, suite, key||salt, lifetime, MKI and session parameters', () => {
    const a = parseCryptoAttribute(`1 AES_CM_128_HMAC_SHA1_80 inline:${key30}|2^20|1:4 KDR=0 UNENCRYPTED_SRTCP`)!;
    expect(a).toMatchObject({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', mki: true, keyCount: 1, sessionParams: ['KDR=0', 'UNENCRYPTED_SRTCP'] });
    expect(a.key.toString('base64')).toBe(key30);
    expect(parseCryptoAttribute(`7 AEAD_AES_128_GCM inline:${key28}`)).toMatchObject({ tag: 7, mki: false, sessionParams: [] });
  });

  it.each([
    ['a non-numeric tag', `x AES_CM_128_HMAC_SHA1_80 inline:${key30}`],
    ['a key method other than inline', `1 AES_CM_128_HMAC_SHA1_80 uri:${key30}`],
    ['a garbled lifetime', `1 AES_CM_128_HMAC_SHA1_80 inline:${key30}|forever`],
    ['no key at all', '1 AES_CM_128_HMAC_SHA1_80'],
  ])('refuses %s', (_, text) => {
    expect(parseCryptoAttribute(text)).toBeUndefined();
  });

  it('chooses the first offered attribute it can honour: known suite, right key length, no MKI, default session parameters', () => {
    const attrs = [
      `1 AES_256_CM_HMAC_SHA1_80 inline:${randomBytes(46).toString('base64')}`,
      `2 AES_CM_128_HMAC_SHA1_80 inline:${key30}|2^20|1:4`,
      `3 AES_CM_128_HMAC_SHA1_80 inline:${key30} UNENCRYPTED_SRTP`,
      `4 AES_CM_128_HMAC_SHA1_80 inline:${key28}`,
      `5 AES_CM_128_HMAC_SHA1_32 inline:${key30}|2^31 WSH=128`,
      `6 AES_CM_128_HMAC_SHA1_80 inline:${key30}`,
    ].map((t) => parseCryptoAttribute(t)!);
    expect(chooseCrypto(attrs)?.tag).toBe(5);
  });
});

describe('answering an offer under each SRTP policy', () => {
  const crypto = [`a=crypto:3 AEAD_AES_128_GCM inline:${key28}`, `a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:${key30}`];

  it('off: an RTP/SAVP offer is refused with 488 and warning 305', () => {
    const err = rejection(() => negotiateOffer(offer('RTP/SAVP', crypto), policy, 'off'));
    expect(err.status).toBe(488);
    expect(err.warnCode).toBe(305);
    expect(err.message).toMatch(/SRTP/);
  });

  it('off: crypto attributes on RTP/AVP are ignored; the answer is plain', () => {
    const n = negotiateOffer(offer('RTP/AVP', crypto), policy, 'off');
    expect(n.negotiated.audio?.srtp).toBeUndefined();
    expect(n.answer(local)).not.toMatch(/a=crypto/);
  });

  it.each(['optional', 'required'] as SrtpPolicy[])('%s: RTP/SAVP is answered RTP/SAVP with the first offered suite, its tag and a fresh key of ours', (srtp) => {
    const n = negotiateOffer(offer('RTP/SAVP', crypto, true), policy, srtp);
    const answer = n.answer(local);
    const parsed = sdpTransform.parse(answer);
    expect(parsed.media.map((m) => m.protocol)).toEqual(['RTP/SAVP', 'RTP/SAVPF']);
    const attrs = cryptoAttributesBySection(answer);
    expect(attrs.map((a) => a.length)).toEqual([1, 1]);
    expect(attrs[0]![0]).toMatchObject({ tag: 3, suite: 'AEAD_AES_128_GCM' });
    expect(attrs[0]![0]!.key.length).toBe(28);
    expect(attrs[0]![0]!.key.toString('base64')).not.toBe(key28);
    expect(attrs[1]![0]!.key.equals(attrs[0]![0]!.key)).toBe(false); // one key per stream
    expect(n.negotiated.audio?.srtp).toMatchObject({ suite: 'AEAD_AES_128_GCM' });
    expect(n.negotiated.audio?.srtp?.remoteKey.toString('base64')).toBe(key28);
    expect(n.negotiated.audio?.srtp?.localKey.equals(attrs[0]![0]!.key)).toBe(true);
    expect(n.negotiated.video?.srtp?.localKey.equals(attrs[1]![0]!.key)).toBe(true);
  });

  it('optional: RTP/AVP with crypto (best-effort SDES) is answered RTP/AVP with crypto; plain RTP/AVP stays plain', () => {
    const n = negotiateOffer(offer('RTP/AVP', crypto), policy, 'optional');
    expect(sdpTransform.parse(n.answer(local)).media[0]!.protocol).toBe('RTP/AVP');
    expect(n.answer(local)).toMatch(/^a=crypto:3 AEAD_AES_128_GCM inline:/m);
    const plain = negotiateOffer(offer('RTP/AVP'), policy, 'optional');
    expect(plain.negotiated.audio?.srtp).toBeUndefined();
    expect(plain.answer(local)).not.toMatch(/a=crypto/);
  });

  it('required: plain RTP/AVP is refused with 488', () => {
    const err = rejection(() => negotiateOffer(offer('RTP/AVP'), policy, 'required'));
    expect([err.status, err.warnCode]).toEqual([488, 305]);
  });

  it('RTP/SAVP with only suites we do not implement is refused with 488', () => {
    const err = rejection(() => negotiateOffer(offer('RTP/SAVP', [`a=crypto:1 AES_192_CM_HMAC_SHA1_80 inline:${randomBytes(38).toString('base64')}`]), policy, 'optional'));
    expect(err.status).toBe(488);
    expect(err.message).toMatch(/crypto suite/);
  });

  it('a refused SRTP video stream keeps its m-line with port 0 while audio goes on', () => {
    const sdp = offer('RTP/AVP').replace(/\r\n$/, '\r\nm=video 4002 RTP/SAVPF 97\r\na=rtpmap:97 H264/90000\r\n');
    const n = negotiateOffer(sdp, policy, 'off');
    expect(n.negotiated.video).toBeUndefined();
    expect(sdpTransform.parse(n.answer(local)).media[1]).toMatchObject({ port: 0, protocol: 'RTP/SAVPF' });
  });

  it('answerSdes refuses transports other than RTP/AVP(F) and RTP/SAVP(F)', () => {
    expect(answerSdes('UDP/TLS/RTP/SAVPF', [], 'optional')).toMatchObject({ accept: false });
  });
});

describe('our offers toward a trunk and reading the answer (RFC 4568 7.1.3)', () => {
  function answerTo(offerSdp: string, profile: string, pick: number | undefined, keyBase64 = key30): string {
    const o = cryptoAttributesBySection(offerSdp)[0]!;
    const chosen = pick === undefined ? undefined : o.find((a) => a.tag === pick)!;
    const lines = ['v=0', 'o=- 2 2 IN IP4 10.0.0.9', 's=-', 'c=IN IP4 10.0.0.9', 't=0 0', `m=audio 6000 ${profile} 0`];
    if (chosen) lines.push(`a=crypto:${chosen.tag} ${chosen.suite} inline:${keyBase64}`);
    return `${lines.join('\r\n')}\r\n`;
  }

  it('off offers plain RTP/AVP without crypto', () => {
    const sdp = buildOffer(policy, local, newOfferSecurity('off'));
    expect(sdp).toMatch(/^m=audio 20000 RTP\/AVP /m);
    expect(sdp).not.toMatch(/a=crypto/);
  });

  it('required offers RTP/SAVP(F) with one crypto attribute per supported suite; the answer\'s tag selects our key', () => {
    const security = newOfferSecurity('required');
    const sdp = buildOffer(policy, local, security);
    expect(sdp).toMatch(/^m=audio 20000 RTP\/SAVP /m);
    expect(sdp).toMatch(/^m=video 20002 RTP\/SAVPF /m);
    expect(cryptoAttributesBySection(sdp)[0]!.map((a) => a.suite)).toEqual(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM']);
    const n = parseAnswer(answerTo(sdp, 'RTP/SAVP', 2), policy, security);
    expect(n.audio?.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_32' });
    expect(n.audio?.srtp?.localKey.equals(security.audio[1]!.key)).toBe(true);
    expect(n.audio?.srtp?.remoteKey.toString('base64')).toBe(key30);
  });

  it('required: an answer without a matching crypto attribute is unusable', () => {
    const security = newOfferSecurity('required');
    const sdp = buildOffer(policy, local, security);
    expect(() => parseAnswer(answerTo(sdp, 'RTP/AVP', undefined), policy, security)).toThrow(/none of the offered audio codecs/);
  });

  it('optional offers RTP/AVP with one AES_CM_128_HMAC_SHA1_80 crypto attribute by default (a small INVITE for plain peers)', () => {
    const sdp = buildOffer(policy, local, newOfferSecurity('optional'));
    expect(cryptoAttributesBySection(sdp).map((m) => m.map((a) => a.suite))).toEqual([['AES_CM_128_HMAC_SHA1_80'], ['AES_CM_128_HMAC_SHA1_80']]);
  });

  it('optional offers RTP/AVP with crypto; a plain answer gives plain RTP, a crypto answer SRTP', () => {
    const security = newOfferSecurity('optional', ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM']);
    const sdp = buildOffer(policy, local, security);
    expect(sdp).toMatch(/^m=audio 20000 RTP\/AVP /m);
    expect(sdp).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect(parseAnswer(answerTo(sdp, 'RTP/AVP', undefined), policy, security).audio?.srtp).toBeUndefined();
    expect(parseAnswer(answerTo(sdp, 'RTP/AVP', 3, key28), policy, security).audio?.srtp?.suite).toBe('AEAD_AES_128_GCM');
  });
});

describe('re-offers (RFC 4568 7.1.4)', () => {
  const crypto = (key: string) => [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`];

  it('a re-offer with the same suite and key gets our previous key back (the contexts continue)', () => {
    const first = negotiateOffer(offer('RTP/SAVP', crypto(key30)), policy, 'optional');
    const again = negotiateOffer(offer('RTP/SAVP', crypto(key30)), policy, 'optional', first.negotiated);
    expect(again.negotiated.audio?.srtp?.localKey.equals(first.negotiated.audio!.srtp!.localKey)).toBe(true);
    expect(again.answer(local)).toBe(first.answer(local));
  });

  it('a re-offer with a new key gets a new key of ours (new contexts both ways)', () => {
    const first = negotiateOffer(offer('RTP/SAVP', crypto(key30)), policy, 'optional');
    const rekeyed = negotiateOffer(offer('RTP/SAVP', crypto(randomBytes(30).toString('base64'))), policy, 'optional', first.negotiated);
    expect(rekeyed.negotiated.audio?.srtp?.localKey.equals(first.negotiated.audio!.srtp!.localKey)).toBe(false);
  });
});

describe('a=crypto parser (fuzz)', () => {
  it('returns an attribute or undefined for mutated input, never throws', () => {
    const base = `1 AES_CM_128_HMAC_SHA1_80 inline:${key30}|2^20|1:4 KDR=0 WSH=64`;
    let seed = 99;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const chars = [...base.slice(0, rnd() % (base.length + 1))];
      for (let k = 0; k < 3 && chars.length > 0; k++) chars[rnd() % chars.length] = String.fromCharCode(32 + (rnd() % 95));
      const a = parseCryptoAttribute(chars.join(''));
      if (a) expect(Number.isInteger(a.tag)).toBe(true);
      expect(() => chooseCrypto(a ? [a] : [])).not.toThrow();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { findSrtpSuite, SRTP_SUITES, srtpSuite, type SrtpParameters, type SrtpSuiteName } from '../../rtp/index.ts';

/**
 * SDP Security Descriptions (RFC 4568) for the legacy legs: parsing and writing `a=crypto`,
 * choosing an offered suite, and the per-trunk policy off / optional / required.
 */

/** off: plain RTP only; optional: SRTP when the peer offers/accepts it; required: SRTP or 488. */
export type SrtpPolicy = 'off' | 'optional' | 'required';

/** One `a=crypto` attribute (RFC 4568 9.1). */
export interface CryptoAttribute {
  /** 1*9DIGIT, echoed in the answer (RFC 4568 5.1). */
  tag: number;
  suite: string;
  /** The first key's master key || salt (base64-decoded key-salt of its inline key-param). */
  key: Buffer;
  /** Number of key-params (several only with MKIs). */
  keyCount: number;
  /** `|MKI:length` present on the first key. */
  mki: boolean;
  /** Session parameters (RFC 4568 6.3), as written. */
  sessionParams: string[];
}

/** RFC 4566 5.14: RTP/SAVP(F) is SRTP (RFC 3711 / RFC 5124); RTP/AVP(F) is plain RTP. */
export function isSavp(protocol: string): boolean {
  return /^RTP\/SAVPF?$/i.test(protocol);
}

export function isAvp(protocol: string): boolean {
  return /^RTP\/AVPF?$/i.test(protocol);
}

/**
 * RFC 4568 9.1: "a=crypto:" tag 1*WSP crypto-suite 1*WSP key-params *(1*WSP session-param),
 * key-params = key-param *(";" key-param), key-param = "inline:" key-salt ["|" lifetime] ["|" mki].
 * Returns undefined for a line that does not follow the grammar.
 */
export function parseCryptoAttribute(value: string): CryptoAttribute | undefined {
  const [tagText, suite, keyParams, ...sessionParams] = value.trim().split(/[ \t]+/);
  if (!tagText || !/^\d{1,9}$/.test(tagText) || !suite || !keyParams) return undefined;
  const keys = keyParams.split(';');
  const first = /^inline:([A-Za-z0-9+/=]+)((?:\|[^|;]*){0,2})$/.exec(keys[0]!);
  if (!first || !keys.every((k) => k.startsWith('inline:'))) return undefined;
  const extras = first[2]!.split('|').slice(1);
  const mki = extras.some((e) => /^\d+:\d+$/.test(e)); // RFC 4568 9.1: mki-value ":" mki-length
  if (extras.some((e) => !/^(2\^)?\d+$/.test(e) && !/^\d+:\d+$/.test(e))) return undefined;
  return { tag: Number(tagText), suite, key: Buffer.from(first[1]!, 'base64'), keyCount: keys.length, mki, sessionParams };
}

/** `a=crypto` line for `suite` with master key || salt `key` (RFC 4568 9.1, no lifetime, no MKI). */
export function formatCryptoLine(tag: number, suite: SrtpSuiteName, key: Buffer): string {
  return `a=crypto:${tag} ${suite} inline:${key.toString('base64')}`;
}

/** A fresh random master key || salt for `suite` (RFC 4568 6.1: each direction its own key). */
export function newMasterKey(suite: SrtpSuiteName): Buffer {
  const s = srtpSuite(suite);
  return randomBytes(s.keyLength + s.saltLength);
}

/**
 * RFC 4568 7.1.1/7.1.2: the first offered crypto attribute we can honour: a suite we implement,
 * one key of the right length, no MKI (we do not parse MKIs off packets), and only session
 * parameters that leave RFC 3711 defaults in force (KDR=0, WSH; no UNENCRYPTED_SRTP, FEC_ORDER and the like).
 */
export function chooseCrypto(attributes: readonly CryptoAttribute[]): CryptoAttribute | undefined {
  return attributes.find((a) => {
    const suite = findSrtpSuite(a.suite);
    if (!suite || a.keyCount !== 1 || a.mki) return false;
    if (a.key.length !== suite.keyLength + suite.saltLength) return false;
    return a.sessionParams.every((p) => /^WSH=\d+$/i.test(p) || /^KDR=0$/i.test(p));
  });
}

/**
 * The `a=crypto` lines of each m-section of `sdp`, in m-line order (sdp-transform keeps only the
 * first session parameter, so the attribute is read from the text).
 */
export function cryptoAttributesBySection(sdp: string): CryptoAttribute[][] {
  const sections: CryptoAttribute[][] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) sections.push([]);
    else if (line.startsWith('a=crypto:') && sections.length > 0) {
      const parsed = parseCryptoAttribute(line.slice('a=crypto:'.length));
      if (parsed) sections[sections.length - 1]!.push(parsed);
    }
  }
  return sections;
}

/** What the answerer decided for one offered m-line. */
export type SdesAnswer =
  | { accept: true; srtp?: { params: SrtpParameters; line: string } }
  | { accept: false; reason: string };

/**
 * RFC 4568 7.1.2 + our policy, for one offered m-line: off refuses RTP/SAVP and ignores crypto
 * on RTP/AVP; optional answers SRTP when the offer carries a crypto attribute we support
 * (RTP/SAVP, or best-effort SDES on RTP/AVP) and plain RTP otherwise; required refuses
 * anything without a usable crypto attribute. The answer echoes the tag with our own new key
 * (or, on a re-offer with unchanged keys, the key of `previous`).
 */
export function answerSdes(protocol: string, offered: readonly CryptoAttribute[], policy: SrtpPolicy, previous?: SrtpParameters): SdesAnswer {
  const savp = isSavp(protocol);
  if (!savp && !isAvp(protocol)) return { accept: false, reason: `unsupported transport ${protocol}` };
  if (policy === 'off') return savp ? { accept: false, reason: 'SRTP (RTP/SAVP) is not enabled for this caller (srtp policy off)' } : { accept: true };
  const chosen = chooseCrypto(offered);
  if (!chosen) {
    if (savp) return { accept: false, reason: `no supported crypto suite offered (supported: ${SRTP_SUITES.join(' ')})` };
    if (policy === 'required') return { accept: false, reason: 'SRTP is required for this caller (srtp policy required): offer RTP/SAVP with a=crypto' };
    return { accept: true };
  }
  const suite = chosen.suite as SrtpSuiteName;
  // RFC 4568 7.1.4: a re-offer that repeats the suite and key continues the crypto context, so
  // our answer repeats our key too; a changed key (or suite) starts new contexts, with a new key.
  const same = previous && previous.suite === suite && previous.remoteKey.equals(chosen.key);
  const localKey = same ? previous.localKey : newMasterKey(suite);
  return { accept: true, srtp: { params: { suite, localKey, remoteKey: chosen.key }, line: formatCryptoLine(chosen.tag, suite, localKey) } };
}

/** Our offer's crypto lines (RFC 4568 5.1): one per suite, in preference order, tags 1..n, a fresh key each. */
export function offerCrypto(suites: readonly SrtpSuiteName[] = SRTP_SUITES): { tag: number; suite: SrtpSuiteName; key: Buffer; line: string }[] {
  return suites.map((suite, i) => {
    const key = newMasterKey(suite);
    return { tag: i + 1, suite, key, line: formatCryptoLine(i + 1, suite, key) };
  });
}

/**
 * RFC 4568 7.1.3: the offerer reads the answer's single crypto attribute, matches its tag to one
 * it offered (same suite), and receives with the answerer's key. undefined when none matches.
 */
export function srtpFromAnswer(offered: readonly { tag: number; suite: SrtpSuiteName; key: Buffer }[], answered: readonly CryptoAttribute[]): SrtpParameters | undefined {
  for (const a of answered) {
    const ours = offered.find((o) => o.tag === a.tag && o.suite === a.suite);
    const suite = findSrtpSuite(a.suite);
    if (!ours || !suite || a.mki || a.keyCount !== 1 || a.key.length !== suite.keyLength + suite.saltLength) continue;
    return { suite: ours.suite, localKey: ours.key, remoteKey: a.key };
  }
  return undefined;
}

/** The crypto attributes we put in one offer, per media kind, kept to read the answer. */
export interface OfferSecurity {
  policy: SrtpPolicy;
  audio: ReturnType<typeof offerCrypto>;
  video: ReturnType<typeof offerCrypto>;
}

/**
 * Fresh keys for an offer under `policy` (none for off), for `suites`. Default: every suite we
 * implement when SRTP is required; only AES_CM_128_HMAC_SHA1_80 (RFC 4568 6.2.1, the suite every
 * SDES peer has) for best-effort offers, which keeps a plain peer's INVITE small: past 1300 bytes
 * RFC 3261 18.1.1 moves it to TCP, which UDP-only terminals do not listen on.
 */
export function newOfferSecurity(policy: SrtpPolicy, suites?: readonly SrtpSuiteName[]): OfferSecurity {
  if (policy === 'off') return { policy, audio: [], video: [] };
  const chosen = suites ?? (policy === 'required' ? SRTP_SUITES : (['AES_CM_128_HMAC_SHA1_80'] as const));
  return { policy, audio: offerCrypto(chosen), video: offerCrypto(chosen) };
}

import { ReplayWindow } from './replay-window.ts';
import { packetIndex, RolloverState } from './rollover.ts';
import { SrtpCipher } from './srtp-cipher.ts';
import { srtpSuite, type SrtpSuiteName } from './suites.ts';

/** What SDES (RFC 4568) agreed for one media stream: the suite and each side's master key || salt. */
export interface SrtpParameters {
  suite: SrtpSuiteName;
  /** Our master key || master salt: what we protect with (the key in our SDP). */
  localKey: Buffer;
  /** The peer's master key || master salt: what we unprotect with (the key in its SDP). */
  remoteKey: Buffer;
}

/** Why an incoming packet was dropped. */
export type SrtpDrop = 'auth' | 'replay' | 'malformed';

export interface SrtpStats {
  rtpProtected: number;
  rtpUnprotected: number;
  rtcpProtected: number;
  rtcpUnprotected: number;
  /** Packets whose authentication tag did not verify (RFC 3711 3.3 step 5). */
  authFailures: number;
  /** Packets refused by the replay list (RFC 3711 3.3.2). */
  replays: number;
  /** Packets too short to carry a header and tag. */
  malformed: number;
}

interface InboundStream {
  roc: RolloverState;
  rtp: ReplayWindow;
  rtcp: ReplayWindow;
}

interface OutboundStream {
  roc: RolloverState;
  /** RFC 3711 3.4: 31-bit SRTCP index of the next packet. */
  rtcpIndex: number;
}

/** At most this many SSRCs are tracked per direction; the oldest is forgotten first. */
const MAX_STREAMS = 64;
const SRTCP_INDEX_MOD = 0x80000000;

/**
 * One SRTP crypto context pair of a media stream (RFC 3711 3.2): outbound under our master key,
 * inbound under the peer's, with per-SSRC rollover counters, SRTCP indices and replay lists.
 * Incoming packets that fail are returned as a drop reason and counted, never thrown.
 * Stream state is created only for packets that authenticated, so forged SSRCs cost nothing.
 */
export class SrtpSession {
  readonly parameters: SrtpParameters;
  private readonly tx: SrtpCipher;
  private readonly rx: SrtpCipher;
  private readonly inbound = new Map<number, InboundStream>();
  private readonly outbound = new Map<number, OutboundStream>();
  /**
   * SRTCP tag length we send. DEVIATION(RFC 3711 5.2 / RFC 5764 4.1.2): AES_CM_128_HMAC_SHA1_32
   * tags SRTCP with 80 bits, but SDES peers built on libre (baresip), and libsrtp users that apply
   * the _32 policy to RTCP (Asterisk), send 32-bit SRTCP tags. We send 80 bits until the peer's
   * SRTCP verifies only with the short tag, then mirror it; we accept either.
   */
  private rtcpTagOut: number;
  private readonly counters: SrtpStats = {
    rtpProtected: 0, rtpUnprotected: 0, rtcpProtected: 0, rtcpUnprotected: 0, authFailures: 0, replays: 0, malformed: 0,
  };

  constructor(parameters: SrtpParameters) {
    const suite = srtpSuite(parameters.suite);
    const split = (k: Buffer, who: string): [Buffer, Buffer] => {
      if (k.length !== suite.keyLength + suite.saltLength) {
        throw new RangeError(`${suite.name}: ${who} key||salt must be ${suite.keyLength + suite.saltLength} bytes, got ${k.length}`);
      }
      return [k.subarray(0, suite.keyLength), k.subarray(suite.keyLength)];
    };
    this.parameters = parameters;
    this.tx = SrtpCipher.fromMasterKey(suite, ...split(parameters.localKey, 'local'));
    this.rx = SrtpCipher.fromMasterKey(suite, ...split(parameters.remoteKey, 'remote'));
    this.rtcpTagOut = suite.rtcpTagLength;
  }

  /** True when `p` names the same suite and keys (RFC 4568 7.1.4: then the context is kept). */
  sameAs(p: SrtpParameters): boolean {
    const q = this.parameters;
    return p.suite === q.suite && p.localKey.equals(q.localKey) && p.remoteKey.equals(q.remoteKey);
  }

  /** Tag length of the SRTCP packets we send now (see rtcpTagOut), bytes. */
  get rtcpTagLengthOut(): number {
    return this.rtcpTagOut;
  }

  stats(): Readonly<SrtpStats> {
    return this.counters;
  }

  /** Encrypts and tags an outgoing RTP packet (a new buffer). The caller sends valid RTP. */
  protectRtp(rtp: Buffer): Buffer {
    const ssrc = rtp.readUInt32BE(8);
    const seq = rtp.readUInt16BE(2);
    const s = this.outboundStream(ssrc);
    const roc = s.roc.next(seq);
    this.counters.rtpProtected++;
    return this.tx.protectRtp(rtp, rtpHeaderLength(rtp), roc);
  }

  /** RFC 3711 3.3: index estimate, replay check, authentication, decryption, then state update. */
  unprotectRtp(srtp: Buffer): Buffer | SrtpDrop {
    const headerLength = rtpHeaderLength(srtp);
    if (headerLength < 0 || srtp.length < headerLength + this.rx.suite.rtpTagLength) return this.drop('malformed');
    const ssrc = srtp.readUInt32BE(8);
    const seq = srtp.readUInt16BE(2);
    const known = this.inbound.get(ssrc);
    const s = known ?? { roc: new RolloverState(), rtp: new ReplayWindow(), rtcp: new ReplayWindow() };
    const v = s.roc.estimateRoc(seq);
    if (v < 0) return this.drop('replay'); // before the start of the stream
    const index = packetIndex(v, seq);
    if (!s.rtp.check(index)) return this.drop('replay');
    const plain = this.rx.unprotectRtp(srtp, headerLength, v >>> 0);
    if (!plain) return this.drop('auth');
    s.roc.update(seq, v);
    s.rtp.accept(index);
    if (!known) remember(this.inbound, ssrc, s);
    this.counters.rtpUnprotected++;
    return plain;
  }

  /** Encrypts and tags an outgoing (compound) RTCP packet with the next SRTCP index (3.4). */
  protectRtcp(rtcp: Buffer): Buffer {
    const s = this.outboundStream(rtcp.readUInt32BE(4));
    const index = s.rtcpIndex;
    s.rtcpIndex = (s.rtcpIndex + 1) % SRTCP_INDEX_MOD;
    this.counters.rtcpProtected++;
    return this.tx.protectRtcp(rtcp, index, this.rtcpTagOut);
  }

  unprotectRtcp(srtcp: Buffer): Buffer | SrtpDrop {
    const suite = this.rx.suite;
    let tagLength = suite.rtcpTagLength;
    let plain = this.rx.unprotectRtcp(srtcp, tagLength);
    if (!plain && suite.rtpTagLength !== suite.rtcpTagLength) {
      tagLength = suite.rtpTagLength; // the short-tag deviation described at rtcpTagOut
      plain = this.rx.unprotectRtcp(srtcp, tagLength);
    }
    const info = this.rx.srtcpIndex(srtcp, tagLength);
    if (!info) return this.drop('malformed');
    if (!plain) return this.drop('auth');
    const ssrc = srtcp.readUInt32BE(4);
    const known = this.inbound.get(ssrc);
    const s = known ?? { roc: new RolloverState(), rtp: new ReplayWindow(), rtcp: new ReplayWindow() };
    // RFC 3711 3.4: SRTCP replay protection (checked after authentication: a forged index must
    // not be able to poison the list, and authenticating first costs one MAC per replay)
    if (!s.rtcp.check(info.index)) return this.drop('replay');
    this.rtcpTagOut = tagLength;
    s.rtcp.accept(info.index);
    if (!known) remember(this.inbound, ssrc, s);
    this.counters.rtcpUnprotected++;
    return plain;
  }

  private outboundStream(ssrc: number): OutboundStream {
    let s = this.outbound.get(ssrc);
    if (!s) {
      s = { roc: new RolloverState(), rtcpIndex: 1 };
      remember(this.outbound, ssrc, s);
    }
    return s;
  }

  private drop(why: SrtpDrop): SrtpDrop {
    if (why === 'auth') this.counters.authFailures++;
    else if (why === 'replay') this.counters.replays++;
    else this.counters.malformed++;
    return why;
  }
}

function remember<T>(map: Map<number, T>, ssrc: number, value: T): void {
  if (map.size >= MAX_STREAMS) map.delete(map.keys().next().value!);
  map.set(ssrc, value);
}

/**
 * RFC 3550 5.1/5.3.1: length of the RTP header with CSRCs and extension, -1 if truncated.
 * Padding is not checked here: it is encrypted (RFC 3711 3.1) and checked after decryption.
 */
export function rtpHeaderLength(buf: Buffer): number {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return -1;
  let off = 12 + 4 * (buf[0]! & 0x0f);
  if (buf[0]! & 0x10) {
    if (off + 4 > buf.length) return -1;
    off += 4 + 4 * buf.readUInt16BE(off + 2);
  }
  return off > buf.length ? -1 : off;
}

import { RtpDecodeError } from './errors.ts';
import { parseHeaderExtensions, type HeaderExtensionElement } from './header-extension.ts';

/** RFC 3550 5.1: fixed header size. */
export const RTP_HEADER_SIZE = 12;
export const RTP_VERSION = 2;

// Byte offsets of the fixed header (RFC 3550 5.1).
const OFF_SEQ = 2;
const OFF_TS = 4;
const OFF_SSRC = 8;

export interface RtpHeaderExtension {
  /** "defined by profile" (0xBEDE one-byte, 0x100X two-byte, else opaque). */
  profile: number;
  /** Extension body (multiple of 4 bytes), without the 4-byte profile/length word. */
  data: Buffer;
}

export interface RtpPacketFields {
  padding?: number; // padding octets to add on encode (incl. the count octet), 0 = none
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs?: number[];
  headerExtension?: RtpHeaderExtension;
  payload: Buffer;
}

/**
 * RTP data packet (RFC 3550 5.1).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |           length              |  (if X, RFC 3550 5.3.1)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     payload ... [padding, last octet = count]  |
 */
export class RtpPacket {
  padding: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  headerExtension: RtpHeaderExtension | undefined;
  /** Payload without padding; a view into the decoded buffer. */
  payload: Buffer;

  constructor(f: RtpPacketFields) {
    this.padding = f.padding ?? 0;
    this.marker = f.marker ?? false;
    this.payloadType = f.payloadType;
    this.sequenceNumber = f.sequenceNumber;
    this.timestamp = f.timestamp;
    this.ssrc = f.ssrc;
    this.csrcs = f.csrcs ?? [];
    this.headerExtension = f.headerExtension;
    this.payload = f.payload;
  }

  /** Validate then decode. Throws RtpDecodeError; never reads past `buf`. */
  static decode(buf: Buffer): RtpPacket {
    const h = parseRtpHeader(buf);
    let headerExtension: RtpHeaderExtension | undefined;
    if (h.extensionOffset >= 0) {
      headerExtension = {
        profile: buf.readUInt16BE(h.extensionOffset),
        data: buf.subarray(h.extensionOffset + 4, h.payloadOffset),
      };
    }
    const csrcs: number[] = [];
    for (let i = 0; i < h.csrcCount; i++) csrcs.push(buf.readUInt32BE(RTP_HEADER_SIZE + 4 * i));
    return new RtpPacket({
      padding: h.paddingLength,
      marker: (buf[1]! & 0x80) !== 0,
      payloadType: buf[1]! & 0x7f,
      sequenceNumber: buf.readUInt16BE(OFF_SEQ),
      timestamp: buf.readUInt32BE(OFF_TS),
      ssrc: buf.readUInt32BE(OFF_SSRC),
      csrcs,
      headerExtension,
      payload: buf.subarray(h.payloadOffset, buf.length - h.paddingLength),
    });
  }

  /** RFC 8285 elements of the header extension ([] when none or not RFC 8285). */
  extensions(): HeaderExtensionElement[] {
    return this.headerExtension ? parseHeaderExtensions(this.headerExtension.profile, this.headerExtension.data) : [];
  }

  encodedSize(): number {
    const ext = this.headerExtension ? 4 + ((this.headerExtension.data.length + 3) & ~3) : 0;
    return RTP_HEADER_SIZE + 4 * this.csrcs.length + ext + this.payload.length + this.padding;
  }

  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }

  /** Write into `out` at `offset`; returns bytes written. */
  encodeInto(out: Buffer, offset: number): number {
    if (this.csrcs.length > 15) throw new RangeError('RTP: at most 15 CSRCs (RFC 3550 5.1 CC)');
    if (this.padding > 255) throw new RangeError('RTP: padding count is one octet');
    const size = this.encodedSize();
    if (offset + size > out.length) throw new RangeError('RTP: output buffer too small');
    out[offset] =
      (RTP_VERSION << 6) | (this.padding > 0 ? 0x20 : 0) | (this.headerExtension ? 0x10 : 0) | this.csrcs.length;
    out[offset + 1] = (this.marker ? 0x80 : 0) | (this.payloadType & 0x7f);
    out.writeUInt16BE(this.sequenceNumber & 0xffff, offset + OFF_SEQ);
    out.writeUInt32BE(this.timestamp >>> 0, offset + OFF_TS);
    out.writeUInt32BE(this.ssrc >>> 0, offset + OFF_SSRC);
    let o = offset + RTP_HEADER_SIZE;
    for (const c of this.csrcs) {
      out.writeUInt32BE(c >>> 0, o);
      o += 4;
    }
    if (this.headerExtension) {
      const words = (this.headerExtension.data.length + 3) >> 2;
      out.writeUInt16BE(this.headerExtension.profile, o);
      out.writeUInt16BE(words, o + 2);
      o += 4;
      this.headerExtension.data.copy(out, o);
      out.fill(0, o + this.headerExtension.data.length, o + words * 4);
      o += words * 4;
    }
    this.payload.copy(out, o);
    o += this.payload.length;
    if (this.padding > 0) {
      out.fill(0, o, o + this.padding - 1);
      out[o + this.padding - 1] = this.padding; // RFC 3550 5.1 P: last octet counts the padding
      o += this.padding;
    }
    return o - offset;
  }
}

/** Header layout found by validation, without allocating a packet object. */
export interface RtpHeaderLayout {
  csrcCount: number;
  /** Offset of the 4-byte extension header, -1 if X=0. */
  extensionOffset: number;
  payloadOffset: number;
  paddingLength: number;
}

const scratchLayout: RtpHeaderLayout = { csrcCount: 0, extensionOffset: -1, payloadOffset: 0, paddingLength: 0 };

/**
 * Validate an RTP packet's header and locate its payload (RFC 3550 5.1, 5.3.1, A.1).
 * Returns a shared scratch object (hot path: no allocation); copy fields out before the
 * next call. Throws RtpDecodeError.
 */
export function parseRtpHeader(buf: Buffer): RtpHeaderLayout {
  if (buf.length < RTP_HEADER_SIZE) {
    throw new RtpDecodeError('ERR_RTP_TOO_SHORT', `${buf.length} bytes < ${RTP_HEADER_SIZE}`);
  }
  const b0 = buf[0]!;
  if (b0 >> 6 !== RTP_VERSION) throw new RtpDecodeError('ERR_RTP_BAD_VERSION', `version ${b0 >> 6}`); // RFC 3550 A.1
  const cc = b0 & 0x0f;
  let off = RTP_HEADER_SIZE + 4 * cc;
  if (off > buf.length) throw new RtpDecodeError('ERR_RTP_TOO_SHORT', `CC=${cc} needs ${off} bytes, have ${buf.length}`);
  let extensionOffset = -1;
  if (b0 & 0x10) {
    // RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words excluding the 4-byte header
    if (off + 4 > buf.length) throw new RtpDecodeError('ERR_RTP_BAD_EXTENSION', 'extension header truncated');
    extensionOffset = off;
    const words = buf.readUInt16BE(off + 2);
    off += 4 + words * 4;
    if (off > buf.length) throw new RtpDecodeError('ERR_RTP_BAD_EXTENSION', `extension of ${words} words overruns packet`);
  }
  let paddingLength = 0;
  if (b0 & 0x20) {
    // RFC 3550 5.1 P: the last octet counts padding octets, itself included
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || off + paddingLength > buf.length) {
      throw new RtpDecodeError('ERR_RTP_BAD_PADDING', `padding ${paddingLength} with ${buf.length - off} bytes after header`);
    }
  }
  scratchLayout.csrcCount = cc;
  scratchLayout.extensionOffset = extensionOffset;
  scratchLayout.payloadOffset = off;
  scratchLayout.paddingLength = paddingLength;
  return scratchLayout;
}

/** Quick check used by RFC 5761 4 demultiplexing: is this plausibly RTCP (PT 64-95 in byte 1)? */
export function looksLikeRtcp(buf: Buffer): boolean {
  if (buf.length < 2) return false;
  const pt = buf[1]! & 0x7f;
  return pt >= 64 && pt <= 95; // RFC 5761 4: RTCP packet types 200-223 & 0x7f
}

// In-place header rewriting (hot paths; the caller has validated the packet).
export function rtpPayloadType(buf: Buffer): number { return buf[1]! & 0x7f; }
export function rtpMarker(buf: Buffer): boolean { return (buf[1]! & 0x80) !== 0; }
export function rtpSequence(buf: Buffer): number { return buf.readUInt16BE(OFF_SEQ); }
export function rtpTimestamp(buf: Buffer): number { return buf.readUInt32BE(OFF_TS); }
export function rtpSsrc(buf: Buffer): number { return buf.readUInt32BE(OFF_SSRC); }
export function setRtpPayloadType(buf: Buffer, pt: number): void { buf[1] = (buf[1]! & 0x80) | (pt & 0x7f); }
export function setRtpSequence(buf: Buffer, seq: number): void { buf.writeUInt16BE(seq & 0xffff, OFF_SEQ); }
export function setRtpTimestamp(buf: Buffer, ts: number): void { buf.writeUInt32BE(ts >>> 0, OFF_TS); }
export function setRtpSsrc(buf: Buffer, ssrc: number): void { buf.writeUInt32BE(ssrc >>> 0, OFF_SSRC); }

/**
 * Write a plain 12-byte RTP header (no CSRC, no extension, no padding) at buf[0..12).
 * Used by senders that build packets into preallocated buffers.
 */
export function writeRtpHeader(buf: Buffer, pt: number, marker: boolean, seq: number, ts: number, ssrc: number): void {
  buf[0] = RTP_VERSION << 6;
  buf[1] = (marker ? 0x80 : 0) | (pt & 0x7f);
  buf.writeUInt16BE(seq & 0xffff, OFF_SEQ);
  buf.writeUInt32BE(ts >>> 0, OFF_TS);
  buf.writeUInt32BE(ssrc >>> 0, OFF_SSRC);
}

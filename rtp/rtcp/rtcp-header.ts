import { RtpDecodeError } from '../errors.ts';

/** RFC 3550 6.4-6.6, RFC 4585 6.1: RTCP packet types used here. */
export const RtcpType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  RTPFB: 205, // RFC 4585 6.2
  PSFB: 206, // RFC 4585 6.3
} as const;

export const RTCP_HEADER_SIZE = 4;

/**
 * RTCP common header (RFC 3550 6.4.1; the 5-bit field is RC, SC or FMT by type).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|  RC/FMT |      PT       |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface RtcpHeader {
  padding: boolean;
  /** RC, SC or FMT (5 bits). */
  count: number;
  packetType: number;
  /** Whole packet in bytes: (length field + 1) * 4. */
  byteLength: number;
}

/**
 * Validate one RTCP packet at the start of `buf` and return its header; the packet is
 * bounded by its own length field (never the rest of a compound). Throws RtpDecodeError.
 */
export function readRtcpHeader(buf: Buffer): RtcpHeader {
  if (buf.length < RTCP_HEADER_SIZE) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `${buf.length} bytes`);
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) throw new RtpDecodeError('ERR_RTCP_BAD_VERSION', `version ${b0 >> 6}`);
  // RFC 3550 6.4.1 length: in 32-bit words minus one, including header and padding
  const byteLength = (buf.readUInt16BE(2) + 1) * 4;
  if (byteLength > buf.length) {
    throw new RtpDecodeError('ERR_RTCP_BAD_LENGTH', `length field says ${byteLength} bytes, ${buf.length} available`);
  }
  return { padding: (b0 & 0x20) !== 0, count: b0 & 0x1f, packetType: buf[1]!, byteLength };
}

/** Write a common header; `byteLength` must be a multiple of 4. */
export function writeRtcpHeader(out: Buffer, offset: number, count: number, packetType: number, byteLength: number): void {
  out[offset] = 0x80 | (count & 0x1f);
  out[offset + 1] = packetType;
  out.writeUInt16BE(byteLength / 4 - 1, offset + 2);
}

/**
 * The body of one RTCP packet without its padding (RFC 3550 6.4.1 P bit: the last octet
 * counts padding octets). `pkt` is exactly one packet.
 */
export function rtcpBody(pkt: Buffer, h: RtcpHeader): Buffer {
  let end = h.byteLength;
  if (h.padding) {
    const pad = pkt[h.byteLength - 1]!;
    if (pad === 0 || pad > h.byteLength - RTCP_HEADER_SIZE) {
      throw new RtpDecodeError('ERR_RTCP_BAD_PADDING', `padding ${pad} in packet of ${h.byteLength}`);
    }
    end -= pad;
  }
  return pkt.subarray(RTCP_HEADER_SIZE, end);
}

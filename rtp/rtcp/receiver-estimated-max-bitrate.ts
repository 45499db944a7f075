import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';

/** RFC 4585 6.4: application layer feedback is PSFB FMT 15; REMB is one such application. */
export const AFB_FMT = 15;
/** draft-alvestrand-rmcat-remb-03 2.2: the unique identifier 'R' 'E' 'M' 'B'. */
const REMB_IDENTIFIER = 0x52454d42;
const MANTISSA_BITS = 18;
const MAX_MANTISSA = (1 << MANTISSA_BITS) - 1;
const MAX_EXPONENT = 63;

/**
 * Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 2.2): the receiver's
 * estimate of the total bit rate it can take for the listed SSRCs. Media source SSRC 0.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P| FMT=15  |   PT=206      |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source (0)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Unique identifier 'R' 'E' 'M' 'B'                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Num SSRC     | BR Exp    |  BR Mantissa                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   SSRC feedback (Num SSRC entries)                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export class ReceiverEstimatedMaxBitrate {
  constructor(
    public senderSsrc: number,
    /** bit/s: mantissa · 2^exp. */
    public bitrateBps: number,
    public ssrcs: number[],
    public mediaSsrc = 0,
  ) {}

  /** True when this PSFB FMT 15 packet carries the REMB identifier (other AFB uses exist). */
  static isRemb(pkt: Buffer): boolean {
    return pkt.length >= 16 && pkt.readUInt32BE(12) === REMB_IDENTIFIER;
  }

  static decode(pkt: Buffer): ReceiverEstimatedMaxBitrate {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.PSFB || h.count !== AFB_FMT) {
      throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} FMT ${h.count} is not application feedback`);
    }
    const body = rtcpBody(pkt, h);
    if (body.length < 16) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `REMB body ${body.length} bytes`);
    if (body.readUInt32BE(8) !== REMB_IDENTIFIER) throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', 'application feedback is not REMB');
    const word = body.readUInt32BE(12);
    const count = word >>> 24;
    if (body.length !== 16 + 4 * count) {
      throw new RtpDecodeError('ERR_RTCP_BAD_COUNT', `REMB lists ${count} SSRCs in ${body.length - 16} bytes`);
    }
    const exp = (word >>> 18) & 0x3f;
    const mantissa = word & MAX_MANTISSA;
    const ssrcs: number[] = [];
    for (let i = 0; i < count; i++) ssrcs.push(body.readUInt32BE(16 + 4 * i));
    return new ReceiverEstimatedMaxBitrate(body.readUInt32BE(0), mantissa * 2 ** exp, ssrcs, body.readUInt32BE(4));
  }

  encodedSize(): number {
    return RTCP_HEADER_SIZE + 16 + 4 * this.ssrcs.length;
  }

  encodeInto(out: Buffer, o: number): number {
    const size = this.encodedSize();
    if (this.ssrcs.length > 255) throw new RangeError('REMB lists at most 255 SSRCs');
    let mantissa = Math.max(0, Math.floor(this.bitrateBps));
    let exp = 0;
    while (mantissa > MAX_MANTISSA && exp < MAX_EXPONENT) {
      mantissa = Math.floor(mantissa / 2);
      exp++;
    }
    writeRtcpHeader(out, o, AFB_FMT, RtcpType.PSFB, size);
    out.writeUInt32BE(this.senderSsrc >>> 0, o + 4);
    out.writeUInt32BE(this.mediaSsrc >>> 0, o + 8);
    out.writeUInt32BE(REMB_IDENTIFIER, o + 12);
    out.writeUInt32BE(((this.ssrcs.length << 24) | (exp << 18) | Math.min(mantissa, MAX_MANTISSA)) >>> 0, o + 16);
    this.ssrcs.forEach((s, i) => out.writeUInt32BE(s >>> 0, o + 20 + 4 * i));
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

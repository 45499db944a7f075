import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';

/** RFC 5104 4.3.1: PSFB FMT 4. */
export const FIR_FMT = 4;

export interface FirEntry {
  ssrc: number;
  /** Command sequence number, 8 bits (RFC 5104 4.3.1.1). */
  sequenceNumber: number;
}

/**
 * Full Intra Request (RFC 5104 4.3.1). Media source SSRC is 0 (4.3.1.2); FCI entries follow.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P| FMT=4   |   PT=PSFB=206 |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source (0)                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                              SSRC                             |   FCI entry,
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   repeated
 * | Seq nr.       |    Reserved                                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export class FullIntraRequest {
  constructor(
    public senderSsrc: number,
    public entries: FirEntry[],
    public mediaSsrc = 0,
  ) {}

  static decode(pkt: Buffer): FullIntraRequest {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.PSFB || h.count !== FIR_FMT) {
      throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} FMT ${h.count} is not FIR`);
    }
    const body = rtcpBody(pkt, h);
    // RFC 5104 4.3.1.2: at least one FCI entry
    if (body.length < 16 || (body.length - 8) % 8 !== 0) {
      throw new RtpDecodeError('ERR_RTCP_BAD_LENGTH', `FIR body ${body.length} bytes`);
    }
    const entries: FirEntry[] = [];
    for (let o = 8; o < body.length; o += 8) entries.push({ ssrc: body.readUInt32BE(o), sequenceNumber: body[o + 4]! });
    return new FullIntraRequest(body.readUInt32BE(0), entries, body.readUInt32BE(4));
  }

  encodedSize(): number {
    return RTCP_HEADER_SIZE + 8 + 8 * this.entries.length;
  }

  encodeInto(out: Buffer, o: number): number {
    const size = this.encodedSize();
    writeRtcpHeader(out, o, FIR_FMT, RtcpType.PSFB, size);
    out.writeUInt32BE(this.senderSsrc >>> 0, o + 4);
    out.writeUInt32BE(this.mediaSsrc >>> 0, o + 8);
    let p = o + 12;
    for (const e of this.entries) {
      out.writeUInt32BE(e.ssrc >>> 0, p);
      out.writeUInt32BE(((e.sequenceNumber & 0xff) << 24) >>> 0, p + 4); // reserved bits 0
      p += 8;
    }
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

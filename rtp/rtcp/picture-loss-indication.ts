import { RtpDecodeError } from '../errors.ts';
import { RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';

/** RFC 4585 6.3.1: PSFB FMT 1. */
export const PLI_FMT = 1;
const PLI_SIZE = 12;

/**
 * Picture Loss Indication (RFC 4585 6.1 common feedback format, 6.3.1 PLI: no FCI).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P| FMT=1   |   PT=PSFB=206 |          length=2             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export class PictureLossIndication {
  constructor(
    public senderSsrc: number,
    public mediaSsrc: number,
  ) {}

  static decode(pkt: Buffer): PictureLossIndication {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.PSFB || h.count !== PLI_FMT) {
      throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} FMT ${h.count} is not PLI`);
    }
    const body = rtcpBody(pkt, h);
    if (body.length < 8) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `PLI body ${body.length} bytes`);
    return new PictureLossIndication(body.readUInt32BE(0), body.readUInt32BE(4));
  }

  encodedSize(): number {
    return PLI_SIZE;
  }

  encodeInto(out: Buffer, o: number): number {
    writeRtcpHeader(out, o, PLI_FMT, RtcpType.PSFB, PLI_SIZE);
    out.writeUInt32BE(this.senderSsrc >>> 0, o + 4);
    out.writeUInt32BE(this.mediaSsrc >>> 0, o + 8);
    return PLI_SIZE;
  }

  encode(): Buffer {
    const out = Buffer.alloc(PLI_SIZE);
    this.encodeInto(out, 0);
    return out;
  }
}

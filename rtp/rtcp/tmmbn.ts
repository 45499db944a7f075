import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';
import { TMMB_ENTRY_SIZE, decodeTmmbEntries, encodeTmmbEntry, type TmmbEntry } from './tmmb-entry.ts';

/** RFC 5104 4.2.2: RTPFB FMT 4. */
export const TMMBN_FMT = 4;

/**
 * Temporary Maximum Media Stream Bit Rate Notification (RFC 5104 4.2.2): the media sender's
 * answer to TMMBR, listing the bounding set it now honours (may be empty, 4.2.2.2). Media
 * source SSRC 0. Same layout as TMMBR (tmmbr.ts) with FMT=4.
 */
export class TemporaryMaxBitrateNotification {
  constructor(
    public senderSsrc: number,
    public entries: TmmbEntry[],
    public mediaSsrc = 0,
  ) {}

  static decode(pkt: Buffer): TemporaryMaxBitrateNotification {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.RTPFB || h.count !== TMMBN_FMT) {
      throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} FMT ${h.count} is not TMMBN`);
    }
    const body = rtcpBody(pkt, h);
    if (body.length < 8) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `TMMBN body ${body.length} bytes`);
    return new TemporaryMaxBitrateNotification(body.readUInt32BE(0), decodeTmmbEntries(body.subarray(8), 'TMMBN'), body.readUInt32BE(4));
  }

  encodedSize(): number {
    return RTCP_HEADER_SIZE + 8 + TMMB_ENTRY_SIZE * this.entries.length;
  }

  encodeInto(out: Buffer, o: number): number {
    const size = this.encodedSize();
    writeRtcpHeader(out, o, TMMBN_FMT, RtcpType.RTPFB, size);
    out.writeUInt32BE(this.senderSsrc >>> 0, o + 4);
    out.writeUInt32BE(this.mediaSsrc >>> 0, o + 8);
    this.entries.forEach((e, i) => encodeTmmbEntry(out, o + 12 + i * TMMB_ENTRY_SIZE, e));
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

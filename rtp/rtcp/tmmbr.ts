import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';
import { TMMB_ENTRY_SIZE, decodeTmmbEntries, encodeTmmbEntry, type TmmbEntry } from './tmmb-entry.ts';

/** RFC 5104 4.2.1: RTPFB FMT 3. */
export const TMMBR_FMT = 3;

/**
 * Temporary Maximum Media Stream Bit Rate Request (RFC 5104 4.2.1): the receiver asks the media
 * sender named in each FCI entry to keep its stream under a bit rate. The media source SSRC of
 * the common header is 0 (4.2.1.2); at least one FCI entry.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P| FMT=3   |  PT=RTPFB=205 |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source (0)                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 FCI entries (tmmb-entry.ts), 8 bytes each     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export class TemporaryMaxBitrateRequest {
  constructor(
    public senderSsrc: number,
    public entries: TmmbEntry[],
    public mediaSsrc = 0,
  ) {}

  static decode(pkt: Buffer): TemporaryMaxBitrateRequest {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.RTPFB || h.count !== TMMBR_FMT) {
      throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} FMT ${h.count} is not TMMBR`);
    }
    const body = rtcpBody(pkt, h);
    // RFC 5104 4.2.1.2: the FCI holds one or more entries
    if (body.length < 8 + TMMB_ENTRY_SIZE) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `TMMBR body ${body.length} bytes`);
    return new TemporaryMaxBitrateRequest(body.readUInt32BE(0), decodeTmmbEntries(body.subarray(8), 'TMMBR'), body.readUInt32BE(4));
  }

  encodedSize(): number {
    return RTCP_HEADER_SIZE + 8 + TMMB_ENTRY_SIZE * this.entries.length;
  }

  encodeInto(out: Buffer, o: number): number {
    const size = this.encodedSize();
    writeRtcpHeader(out, o, TMMBR_FMT, RtcpType.RTPFB, size);
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

import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';
import { REPORT_BLOCK_SIZE, decodeReportBlocks, type ReportBlock } from './report-block.ts';

/**
 * Receiver report (RFC 3550 6.4.2).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT=RR=201   |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     SSRC of packet sender                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 report blocks (RC x 24 bytes)                 |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
export class ReceiverReport {
  constructor(
    public ssrc: number,
    public reports: ReportBlock[] = [],
  ) {}

  static decode(pkt: Buffer): ReceiverReport {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.RR) throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} is not RR`);
    const body = rtcpBody(pkt, h);
    if (body.length < 4) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `RR body ${body.length} bytes`);
    return new ReceiverReport(body.readUInt32BE(0), decodeReportBlocks(body, 4, h.count));
  }

  encodedSize(): number {
    return RTCP_HEADER_SIZE + 4 + REPORT_BLOCK_SIZE * this.reports.length;
  }

  encodeInto(out: Buffer, o: number): number {
    if (this.reports.length > 31) throw new RangeError('RR: at most 31 report blocks');
    const size = this.encodedSize();
    writeRtcpHeader(out, o, this.reports.length, RtcpType.RR, size);
    out.writeUInt32BE(this.ssrc >>> 0, o + 4);
    let p = o + 8;
    for (const r of this.reports) p += r.encodeInto(out, p);
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

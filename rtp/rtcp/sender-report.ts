import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';
import { REPORT_BLOCK_SIZE, decodeReportBlocks, type ReportBlock } from './report-block.ts';

const SENDER_INFO_SIZE = 24; // SSRC + NTP(8) + RTP ts + packet count + octet count

/**
 * Sender report (RFC 3550 6.4.1).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT=SR=200   |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         SSRC of sender                        |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |              NTP timestamp, most significant word             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             NTP timestamp, least significant word             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         RTP timestamp                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     sender's packet count                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      sender's octet count                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 report blocks (RC x 24 bytes)                 |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
export class SenderReport {
  constructor(
    public ssrc: number,
    public ntpMsw: number,
    public ntpLsw: number,
    public rtpTimestamp: number,
    public packetCount: number,
    public octetCount: number,
    public reports: ReportBlock[] = [],
  ) {}

  static decode(pkt: Buffer): SenderReport {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.SR) throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} is not SR`);
    const body = rtcpBody(pkt, h);
    if (body.length < SENDER_INFO_SIZE) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `SR body ${body.length} bytes`);
    return new SenderReport(
      body.readUInt32BE(0),
      body.readUInt32BE(4),
      body.readUInt32BE(8),
      body.readUInt32BE(12),
      body.readUInt32BE(16),
      body.readUInt32BE(20),
      decodeReportBlocks(body, SENDER_INFO_SIZE, h.count),
    );
  }

  encodedSize(): number {
    return RTCP_HEADER_SIZE + SENDER_INFO_SIZE + REPORT_BLOCK_SIZE * this.reports.length;
  }

  encodeInto(out: Buffer, o: number): number {
    if (this.reports.length > 31) throw new RangeError('SR: at most 31 report blocks');
    const size = this.encodedSize();
    writeRtcpHeader(out, o, this.reports.length, RtcpType.SR, size);
    out.writeUInt32BE(this.ssrc >>> 0, o + 4);
    out.writeUInt32BE(this.ntpMsw >>> 0, o + 8);
    out.writeUInt32BE(this.ntpLsw >>> 0, o + 12);
    out.writeUInt32BE(this.rtpTimestamp >>> 0, o + 16);
    out.writeUInt32BE(this.packetCount >>> 0, o + 20);
    out.writeUInt32BE(this.octetCount >>> 0, o + 24);
    let p = o + 28;
    for (const r of this.reports) p += r.encodeInto(out, p);
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

/** RFC 3550 4: NTP timestamp (seconds since 1900) from Unix milliseconds. */
export function ntpFromUnixMs(ms: number): { msw: number; lsw: number } {
  const secs = Math.floor(ms / 1000);
  const frac = ms - secs * 1000;
  return { msw: (secs + 2208988800) >>> 0, lsw: Math.floor((frac / 1000) * 0x100000000) >>> 0 };
}

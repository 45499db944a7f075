import { RtpDecodeError } from '../errors.ts';

export const REPORT_BLOCK_SIZE = 24;

/**
 * Reception report block (RFC 3550 6.4.1).
 *
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 SSRC_1 (SSRC of first source)                 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | fraction lost |       cumulative number of packets lost       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           extended highest sequence number received           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      interarrival jitter                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         last SR (LSR)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
export class ReportBlock {
  constructor(
    public ssrc: number,
    public fractionLost: number,
    /** Signed 24-bit (RFC 3550 6.4.1: may be negative with duplicates). */
    public cumulativeLost: number,
    public extendedHighestSequence: number,
    public jitter: number,
    public lastSr: number,
    public delaySinceLastSr: number,
  ) {}

  static decode(buf: Buffer): ReportBlock {
    if (buf.length < REPORT_BLOCK_SIZE) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `report block of ${buf.length} bytes`);
    let lost = buf.readUIntBE(5, 3);
    if (lost & 0x800000) lost -= 0x1000000;
    return new ReportBlock(
      buf.readUInt32BE(0),
      buf[4]!,
      lost,
      buf.readUInt32BE(8),
      buf.readUInt32BE(12),
      buf.readUInt32BE(16),
      buf.readUInt32BE(20),
    );
  }

  encodedSize(): number {
    return REPORT_BLOCK_SIZE;
  }

  encodeInto(out: Buffer, o: number): number {
    out.writeUInt32BE(this.ssrc >>> 0, o);
    out[o + 4] = this.fractionLost & 0xff;
    out.writeUIntBE(this.cumulativeLost & 0xffffff, o + 5, 3);
    out.writeUInt32BE(this.extendedHighestSequence >>> 0, o + 8);
    out.writeUInt32BE(this.jitter >>> 0, o + 12);
    out.writeUInt32BE(this.lastSr >>> 0, o + 16);
    out.writeUInt32BE(this.delaySinceLastSr >>> 0, o + 20);
    return REPORT_BLOCK_SIZE;
  }

  encode(): Buffer {
    const out = Buffer.alloc(REPORT_BLOCK_SIZE);
    this.encodeInto(out, 0);
    return out;
  }
}

export function decodeReportBlocks(body: Buffer, offset: number, count: number): ReportBlock[] {
  if (offset + count * REPORT_BLOCK_SIZE > body.length) {
    throw new RtpDecodeError('ERR_RTCP_BAD_COUNT', `${count} report blocks do not fit in ${body.length - offset} bytes`);
  }
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * REPORT_BLOCK_SIZE;
    out.push(ReportBlock.decode(body.subarray(o, o + REPORT_BLOCK_SIZE)));
  }
  return out;
}

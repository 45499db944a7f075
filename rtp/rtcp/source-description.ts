import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';

/** RFC 3550 6.5.1: SDES item type CNAME. */
export const SDES_CNAME = 1;

export interface SdesItem {
  type: number;
  text: string;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

/**
 * Source description (RFC 3550 6.5), minimal: chunks of SSRC + items, each chunk ended by a
 * null item and padded to a 32-bit boundary.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    SC   |  PT=SDES=202  |             length            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                          SSRC/CSRC_1                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     type      |    length     |  text (length octets) ...     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
export class SourceDescription {
  constructor(public chunks: SdesChunk[]) {}

  static cname(ssrc: number, cname: string): SourceDescription {
    return new SourceDescription([{ ssrc, items: [{ type: SDES_CNAME, text: cname }] }]);
  }

  static decode(pkt: Buffer): SourceDescription {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.SDES) throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} is not SDES`);
    const body = rtcpBody(pkt, h);
    const chunks: SdesChunk[] = [];
    let o = 0;
    for (let c = 0; c < h.count; c++) {
      if (o + 4 > body.length) throw new RtpDecodeError('ERR_RTCP_BAD_COUNT', `SDES chunk ${c} of ${h.count} missing`);
      const ssrc = body.readUInt32BE(o);
      o += 4;
      const items: SdesItem[] = [];
      for (;;) {
        if (o >= body.length) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', 'SDES chunk without null terminator');
        const type = body[o]!;
        if (type === 0) {
          o = (o + 4) & ~3; // RFC 3550 6.5: null item(s) pad the chunk to a 32-bit boundary
          break;
        }
        if (o + 2 > body.length) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', 'SDES item header truncated');
        const len = body[o + 1]!;
        if (o + 2 + len > body.length) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `SDES item of ${len} overruns`);
        items.push({ type, text: body.toString('utf8', o + 2, o + 2 + len) });
        o += 2 + len;
      }
      chunks.push({ ssrc, items });
    }
    return new SourceDescription(chunks);
  }

  private chunkSize(ch: SdesChunk): number {
    let n = 4;
    for (const it of ch.items) n += 2 + Buffer.byteLength(it.text, 'utf8');
    return (n + 1 + 3) & ~3; // at least one null octet, then pad to 32 bits
  }

  encodedSize(): number {
    let n = RTCP_HEADER_SIZE;
    for (const ch of this.chunks) n += this.chunkSize(ch);
    return n;
  }

  encodeInto(out: Buffer, o: number): number {
    if (this.chunks.length > 31) throw new RangeError('SDES: at most 31 chunks');
    const size = this.encodedSize();
    writeRtcpHeader(out, o, this.chunks.length, RtcpType.SDES, size);
    let p = o + RTCP_HEADER_SIZE;
    for (const ch of this.chunks) {
      const end = p + this.chunkSize(ch);
      out.writeUInt32BE(ch.ssrc >>> 0, p);
      p += 4;
      for (const it of ch.items) {
        const len = Buffer.byteLength(it.text, 'utf8');
        if (len > 255) throw new RangeError('SDES item text over 255 octets');
        out[p] = it.type;
        out[p + 1] = len;
        out.write(it.text, p + 2, 'utf8');
        p += 2 + len;
      }
      out.fill(0, p, end);
      p = end;
    }
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

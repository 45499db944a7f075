import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';

/**
 * Goodbye (RFC 3550 6.6).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    SC   |   PT=BYE=203  |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           SSRC/CSRC                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * :                              ...                              :
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |     length    |               reason for leaving             ... (opt)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export class Goodbye {
  constructor(
    public ssrcs: number[],
    public reason?: string,
  ) {}

  static decode(pkt: Buffer): Goodbye {
    const h = readRtcpHeader(pkt);
    if (h.packetType !== RtcpType.BYE) throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} is not BYE`);
    const body = rtcpBody(pkt, h);
    if (h.count * 4 > body.length) throw new RtpDecodeError('ERR_RTCP_BAD_COUNT', `SC ${h.count} does not fit ${body.length}`);
    const ssrcs: number[] = [];
    for (let i = 0; i < h.count; i++) ssrcs.push(body.readUInt32BE(i * 4));
    let reason: string | undefined;
    const o = h.count * 4;
    if (o < body.length) {
      const len = body[o]!;
      if (o + 1 + len > body.length) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `BYE reason of ${len} overruns`);
      if (len > 0) reason = body.toString('utf8', o + 1, o + 1 + len);
    }
    return new Goodbye(ssrcs, reason);
  }

  encodedSize(): number {
    const r = this.reason === undefined ? 0 : 1 + Buffer.byteLength(this.reason, 'utf8');
    return RTCP_HEADER_SIZE + ((4 * this.ssrcs.length + r + 3) & ~3);
  }

  encodeInto(out: Buffer, o: number): number {
    if (this.ssrcs.length > 31) throw new RangeError('BYE: at most 31 sources');
    const size = this.encodedSize();
    writeRtcpHeader(out, o, this.ssrcs.length, RtcpType.BYE, size);
    let p = o + RTCP_HEADER_SIZE;
    for (const s of this.ssrcs) {
      out.writeUInt32BE(s >>> 0, p);
      p += 4;
    }
    if (this.reason !== undefined) {
      const len = Buffer.byteLength(this.reason, 'utf8');
      if (len > 255) throw new RangeError('BYE reason over 255 octets');
      out[p] = len;
      out.write(this.reason, p + 1, 'utf8');
      p += 1 + len;
    }
    out.fill(0, p, o + size);
    return size;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    this.encodeInto(out, 0);
    return out;
  }
}

import { RtpDecodeError } from '../errors.ts';
import { RTCP_HEADER_SIZE, RtcpType, readRtcpHeader, rtcpBody, writeRtcpHeader } from './rtcp-header.ts';
import { TMMB_ENTRY_SIZE, decodeTmmbEntries, encodeTmmbEntry, type TmmbEntry } from './tmmb-entry.ts';

/**
 * What TMMBR (RFC 5104 4.2.1) and TMMBN (4.2.2) share: a transport-layer feedback packet (RTPFB)
 * whose media source SSRC is 0 and whose FCI is a list of 8-byte entries (tmmb-entry.ts).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|  FMT    |  PT=RTPFB=205 |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source (0)                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 FCI entries (tmmb-entry.ts), 8 bytes each     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export abstract class TmmbPacket {
  /** FMT of the concrete packet (3 TMMBR, 4 TMMBN). */
  protected abstract readonly fmt: number;

  constructor(
    public senderSsrc: number,
    public entries: TmmbEntry[],
    public mediaSsrc = 0,
  ) {}

  encodedSize(): number {
    return RTCP_HEADER_SIZE + 8 + TMMB_ENTRY_SIZE * this.entries.length;
  }

  encodeInto(out: Buffer, o: number): number {
    const size = this.encodedSize();
    writeRtcpHeader(out, o, this.fmt, RtcpType.RTPFB, size);
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

/** Checks type and length, then reads the fields both packets carry. */
export function decodeTmmbFields(pkt: Buffer, fmt: number, name: string, minEntries: number): { senderSsrc: number; mediaSsrc: number; entries: TmmbEntry[] } {
  const h = readRtcpHeader(pkt);
  if (h.packetType !== RtcpType.RTPFB || h.count !== fmt) {
    throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${h.packetType} FMT ${h.count} is not ${name}`);
  }
  const body = rtcpBody(pkt, h);
  if (body.length < 8 + minEntries * TMMB_ENTRY_SIZE) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', `${name} body ${body.length} bytes`);
  return { senderSsrc: body.readUInt32BE(0), mediaSsrc: body.readUInt32BE(4), entries: decodeTmmbEntries(body.subarray(8), name) };
}

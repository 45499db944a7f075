import { RtpDecodeError } from '../errors.ts';
import { FIR_FMT, FullIntraRequest } from './full-intra-request.ts';
import { Goodbye } from './goodbye.ts';
import { PLI_FMT, PictureLossIndication } from './picture-loss-indication.ts';
import { AFB_FMT, ReceiverEstimatedMaxBitrate } from './receiver-estimated-max-bitrate.ts';
import { ReceiverReport } from './receiver-report.ts';
import { RtcpType, readRtcpHeader, type RtcpHeader } from './rtcp-header.ts';
import { SenderReport } from './sender-report.ts';
import { SourceDescription } from './source-description.ts';
import { TMMBN_FMT, TemporaryMaxBitrateNotification } from './tmmbn.ts';
import { TMMBR_FMT, TemporaryMaxBitrateRequest } from './tmmbr.ts';

/** An RTCP packet this layer does not model (APP, RTPFB/NACK, XR, other PSFB FMTs, non-REMB AFB). */
export class UnknownRtcp {
  constructor(
    public packetType: number,
    public count: number,
    /** The whole packet (header included), a view. */
    public raw: Buffer,
  ) {}
  encodedSize(): number { return this.raw.length; }
  encode(): Buffer { return Buffer.from(this.raw); }
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | SourceDescription
  | Goodbye
  | PictureLossIndication
  | FullIntraRequest
  | TemporaryMaxBitrateRequest
  | TemporaryMaxBitrateNotification
  | ReceiverEstimatedMaxBitrate
  | UnknownRtcp;

/**
 * Iterate the packets of a compound RTCP datagram (RFC 3550 6.1). Each yielded view is
 * bounded by that packet's own length field, never the rest of the datagram. Throws
 * RtpDecodeError on the first malformed header (the whole datagram should be dropped).
 */
export function* iterateRtcp(buf: Buffer): Generator<{ header: RtcpHeader; packet: Buffer }> {
  let o = 0;
  if (buf.length === 0) throw new RtpDecodeError('ERR_RTCP_TOO_SHORT', 'empty datagram');
  while (o < buf.length) {
    const rest = buf.subarray(o);
    const header = readRtcpHeader(rest);
    yield { header, packet: rest.subarray(0, header.byteLength) };
    o += header.byteLength;
  }
}

/** Decode one RTCP packet (exactly one, as bounded by iterateRtcp). */
export function decodeRtcpPacket(packet: Buffer, header: RtcpHeader = readRtcpHeader(packet)): RtcpPacket {
  switch (header.packetType) {
    case RtcpType.SR: return SenderReport.decode(packet);
    case RtcpType.RR: return ReceiverReport.decode(packet);
    case RtcpType.SDES: return SourceDescription.decode(packet);
    case RtcpType.BYE: return Goodbye.decode(packet);
    case RtcpType.PSFB:
      if (header.count === PLI_FMT) return PictureLossIndication.decode(packet);
      if (header.count === FIR_FMT) return FullIntraRequest.decode(packet);
      if (header.count === AFB_FMT && ReceiverEstimatedMaxBitrate.isRemb(packet)) return ReceiverEstimatedMaxBitrate.decode(packet);
      return new UnknownRtcp(header.packetType, header.count, packet);
    case RtcpType.RTPFB:
      if (header.count === TMMBR_FMT) return TemporaryMaxBitrateRequest.decode(packet);
      if (header.count === TMMBN_FMT) return TemporaryMaxBitrateNotification.decode(packet);
      return new UnknownRtcp(header.packetType, header.count, packet);
    default:
      if (header.packetType < 192 || header.packetType > 223) {
        // RFC 5761 4: RTCP packet types live in 192-223
        throw new RtpDecodeError('ERR_RTCP_BAD_TYPE', `PT ${header.packetType} is not RTCP`);
      }
      return new UnknownRtcp(header.packetType, header.count, packet);
  }
}

/** Decode every packet of a compound datagram. Throws RtpDecodeError. */
export function decodeRtcpCompound(buf: Buffer): RtcpPacket[] {
  const out: RtcpPacket[] = [];
  for (const { header, packet } of iterateRtcp(buf)) out.push(decodeRtcpPacket(packet, header));
  return out;
}

/** Serialise packets back-to-back into one compound datagram. */
export function encodeRtcpCompound(packets: readonly { encodedSize(): number; encode(): Buffer }[]): Buffer {
  return Buffer.concat(packets.map((p) => p.encode()));
}

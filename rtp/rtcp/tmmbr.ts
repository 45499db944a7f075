import { TmmbPacket, decodeTmmbFields } from './tmmb-packet.ts';

/** RFC 5104 4.2.1: RTPFB FMT 3. */
export const TMMBR_FMT = 3;

/**
 * Temporary Maximum Media Stream Bit Rate Request (RFC 5104 4.2.1): the receiver asks the media
 * sender named in each FCI entry to keep its stream under a bit rate. The media source SSRC of
 * the common header is 0 (4.2.1.2); at least one FCI entry. Layout: tmmb-packet.ts, FMT=3.
 */
export class TemporaryMaxBitrateRequest extends TmmbPacket {
  protected readonly fmt = TMMBR_FMT;

  static decode(pkt: Buffer): TemporaryMaxBitrateRequest {
    // RFC 5104 4.2.1.2: the FCI holds one or more entries
    const f = decodeTmmbFields(pkt, TMMBR_FMT, 'TMMBR', 1);
    return new TemporaryMaxBitrateRequest(f.senderSsrc, f.entries, f.mediaSsrc);
  }
}

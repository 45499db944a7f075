import { TmmbPacket, decodeTmmbFields } from './tmmb-packet.ts';

/** RFC 5104 4.2.2: RTPFB FMT 4. */
export const TMMBN_FMT = 4;

/**
 * Temporary Maximum Media Stream Bit Rate Notification (RFC 5104 4.2.2): the media sender's
 * answer to TMMBR, listing the bounding set it now honours (may be empty, 4.2.2.2). Media
 * source SSRC 0. Layout: tmmb-packet.ts, FMT=4.
 */
export class TemporaryMaxBitrateNotification extends TmmbPacket {
  protected readonly fmt = TMMBN_FMT;

  static decode(pkt: Buffer): TemporaryMaxBitrateNotification {
    const f = decodeTmmbFields(pkt, TMMBN_FMT, 'TMMBN', 0);
    return new TemporaryMaxBitrateNotification(f.senderSsrc, f.entries, f.mediaSsrc);
  }
}

import {
  AFB_FMT, ReceiverEstimatedMaxBitrate, ReceiverReport, RtcpType, SourceDescription, TMMBR_FMT,
  TemporaryMaxBitrateNotification, TemporaryMaxBitrateRequest, iterateRtcp,
} from '../../rtp/index.ts';

/** A limit of "none": what the cloud side is told when the room lifts every limit. */
export const NO_BITRATE_LIMIT = Number.POSITIVE_INFINITY;

export interface RoomBitrateLimitOptions {
  /** The effective limit changed, bit/s (NO_BITRATE_LIMIT: none any more). */
  onLimit(bps: number): void;
  /** Send one RTCP compound to the room on the video stream (our TMMBN). */
  sendRtcp(pkt: Buffer): void;
  /** A malformed TMMBR/REMB from the room (counted and logged once by the caller). */
  onDrop(key: string, detail: object): void;
}

export interface RoomBitrateLimitStats {
  /** From the room's SDP (b=TIAS / b=AS), bit/s. */
  sdpBps?: number;
  /** The last TMMBR for our video SSRC (RFC 5104 4.2.1), bit/s. */
  tmmbrBps?: number;
  /** The last REMB naming our video SSRC, bit/s. */
  rembBps?: number;
  /** From the room's call signalling (H.245 flowControlCommand), bit/s. */
  signalledBps?: number;
  /** The limit in force: the smallest of the above. */
  limitBps?: number;
  tmmbrReceived: number;
  rembReceived: number;
}

/**
 * How much video the room wants from us: its SDP bandwidth and the RTCP bit rate requests it
 * sends for our video stream (TMMBR, REMB). The smallest that applies is in force; a change is
 * reported once through `onLimit`. Each TMMBR is answered with a TMMBN naming the tuple we now
 * honour (RFC 5104 4.2.2.2; one receiver, so the bounding set is its last request).
 */
export class RoomVideoBitrateLimit {
  private sdpBps: number | undefined;
  private tmmbrBps: number | undefined;
  private rembBps: number | undefined;
  private signalledBps: number | undefined;
  private applied: number | undefined;
  private tmmbrReceived = 0;
  private rembReceived = 0;

  constructor(private readonly opts: RoomBitrateLimitOptions) {}

  /** The limit in force, bit/s, or undefined when the room stated none. */
  get limitBps(): number | undefined {
    const all = [this.sdpBps, this.tmmbrBps, this.rembBps, this.signalledBps].filter((x): x is number => x !== undefined);
    return all.length > 0 ? Math.min(...all) : undefined;
  }

  /** From setRemote: the room's SDP limit for video (undefined: none stated). */
  setSdpLimit(bps: number | undefined): void {
    this.sdpBps = bps;
    this.update();
  }

  /**
   * A limit the room's call signalling set for the video we send it (H.245 flowControlCommand,
   * H.245 6.3 / C.x: it holds until the next one; undefined = noRestriction).
   */
  setSignalledLimit(bps: number | undefined): void {
    this.signalledBps = bps;
    this.update();
  }

  /**
   * A compound RTCP datagram from the room's video stream. `ourSsrc`/`cname`: the video stream
   * we send to the room (the subject of its requests and the sender of our TMMBN).
   */
  onRoomRtcp(buf: Buffer, ourSsrc: number, cname: string): void {
    let packets;
    try {
      packets = [...iterateRtcp(buf)];
    } catch {
      return; // a malformed compound header: the video relay counts and logs that datagram
    }
    for (const { header, packet } of packets) {
      try {
        if (header.packetType === RtcpType.RTPFB && header.count === TMMBR_FMT) this.onTmmbr(TemporaryMaxBitrateRequest.decode(packet), ourSsrc, cname);
        else if (header.packetType === RtcpType.PSFB && header.count === AFB_FMT && ReceiverEstimatedMaxBitrate.isRemb(packet)) {
          this.onRemb(ReceiverEstimatedMaxBitrate.decode(packet), ourSsrc);
        }
      } catch (err) {
        this.opts.onDrop('rtcp-bitrate-malformed', { error: (err as Error).message });
      }
    }
    this.update();
  }

  stats(): RoomBitrateLimitStats {
    return {
      ...(this.sdpBps !== undefined ? { sdpBps: this.sdpBps } : {}),
      ...(this.tmmbrBps !== undefined ? { tmmbrBps: this.tmmbrBps } : {}),
      ...(this.rembBps !== undefined ? { rembBps: this.rembBps } : {}),
      ...(this.signalledBps !== undefined ? { signalledBps: this.signalledBps } : {}),
      ...(this.limitBps !== undefined ? { limitBps: this.limitBps } : {}),
      tmmbrReceived: this.tmmbrReceived,
      rembReceived: this.rembReceived,
    };
  }

  private onTmmbr(t: TemporaryMaxBitrateRequest, ourSsrc: number, cname: string): void {
    // RFC 5104 4.2.1.2: each FCI entry names the media sender it is for; others are not ours
    const entry = t.entries.find((e) => e.ssrc === ourSsrc >>> 0);
    if (!entry) return;
    this.tmmbrReceived++;
    this.tmmbrBps = entry.bitrateBps;
    // RFC 5104 4.2.2.2: TMMBN lists the bounding set; its FCI SSRC is the tuple's owner (4.2.2.1)
    const tmmbn = new TemporaryMaxBitrateNotification(ourSsrc, [{ ssrc: t.senderSsrc, bitrateBps: entry.bitrateBps, overheadBytes: entry.overheadBytes }]);
    // RFC 4585 3.1: feedback rides in a compound that starts with RR and carries a CNAME
    const rr = new ReceiverReport(ourSsrc);
    const sdes = SourceDescription.cname(ourSsrc, cname);
    this.opts.sendRtcp(Buffer.concat([rr.encode(), sdes.encode(), tmmbn.encode()]));
  }

  private onRemb(r: ReceiverEstimatedMaxBitrate, ourSsrc: number): void {
    // draft-alvestrand-rmcat-remb 2.2: the estimate covers the SSRCs listed
    if (!r.ssrcs.includes(ourSsrc >>> 0)) return;
    this.rembReceived++;
    this.rembBps = r.bitrateBps;
  }

  private update(): void {
    const now = this.limitBps;
    if (now === this.applied) return;
    const lifted = now === undefined && this.applied !== undefined;
    this.applied = now;
    if (now !== undefined) this.opts.onLimit(now);
    else if (lifted) this.opts.onLimit(NO_BITRATE_LIMIT);
  }
}

import {
  iterateRtcp, parseRtpHeader, rtpPayloadType, rtpSequence, rtpSsrc, rtpTimestamp,
  setRtpPayloadType, setRtpSequence, setRtpSsrc, setRtpTimestamp, writeRtpHeader, RtcpType, RTP_HEADER_SIZE,
} from '../../rtp/index.ts';
import { SendStream } from '../send-stream.ts';
import { isH264KeyframeStart } from './h264-keyframe.ts';
import { H264SingleNalRepacketizer } from './h264-single-nal.ts';

/** RFC 4585 6.3.1 PLI and RFC 5104 4.3.1 FIR formats of PSFB. */
const FMT_PLI = 1;
const FMT_FIR = 4;

export interface VideoRelayOptions {
  /** Negotiated H.264 payload type of the room. */
  payloadType: number;
  /** The room's H.264 packetization-mode (RFC 6184 8.1). 0: meeting video is re-packetized into single NAL units. Default 1. */
  packetizationMode?: 0 | 1 | 2;
  sendToRoom: (rtp: Buffer) => void;
  sendToCloud: (rtp: Buffer) => void;
  /** The room asked for a keyframe (RTCP PLI/FIR on the video port). */
  onRoomWantsKeyframe: () => void;
  /**
   * The meeting's video source changed (new SSRC) or started, and its packets are held until a
   * keyframe: ask the meeting for one. Called for every held packet; the caller rate-limits.
   */
  onCloudSourceSwitch: () => void;
  onDrop: (key: 'malformed' | 'unexpected-pt' | 'rtcp-malformed', detail: object) => void;
  now?: () => number;
}

/**
 * H.264 passthrough. room → cloud as received (the leg rewrites SSRC/PT). cloud → room: one
 * stable SSRC, the negotiated PT, and sequence numbers/timestamps rewritten by per-source offsets
 * so a switch between meeting participants is seamless to the terminal (RFC 3550 5.1
 * continuity); header extensions of the meeting (mid, abs-send-time, twcc) are stripped because
 * the room never negotiated them (RFC 8285 5).
 */
export class VideoRelay {
  readonly stream = new SendStream(90000);
  /** Room's video SSRC (media source for our PLI), 0 until known. */
  roomSsrc = 0;
  private inSsrc: number | undefined;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastOutSeq = 0;
  private lastOutTs = 0;
  private lastOutWallMs = 0;
  private started = false;
  /** SSRC of a new meeting source whose packets are held until it sends a keyframe. */
  private pendingSsrc: number | undefined;
  /** Meeting packets dropped while waiting for a new source's keyframe. */
  heldForKeyframe = 0;
  /** Keyframes (IDR/SPS starts) the room has sent. */
  roomKeyframes = 0;
  /** Source switches completed (first packet of a new source forwarded, a keyframe). */
  switches = 0;
  private readonly now: () => number;
  private readonly singleNal: H264SingleNalRepacketizer | undefined;

  constructor(private readonly opts: VideoRelayOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.singleNal = opts.packetizationMode === 0 ? new H264SingleNalRepacketizer() : undefined;
  }

  /** NAL units the mode-0 re-packetizer dropped (lost fragments). */
  get droppedNals(): number {
    return this.singleNal?.droppedNals ?? 0;
  }

  /** Validated RTP from the room's video port. */
  onRoomRtp(buf: Buffer): void {
    const pt = rtpPayloadType(buf);
    if (pt !== this.opts.payloadType) {
      this.opts.onDrop('unexpected-pt', { payloadType: pt, expected: this.opts.payloadType });
      return;
    }
    this.roomSsrc = rtpSsrc(buf);
    const cc = buf[0]! & 0x0f;
    const ext = buf[0]! & 0x10 && buf.length >= RTP_HEADER_SIZE + 4 * cc + 4 ? 4 + 4 * buf.readUInt16BE(RTP_HEADER_SIZE + 4 * cc + 2) : 0;
    if (isH264KeyframeStart(buf.subarray(RTP_HEADER_SIZE + 4 * cc + ext))) this.roomKeyframes++;
    this.opts.sendToCloud(buf);
  }

  /** RTCP (possibly compound) from the room's video port. */
  onRoomRtcp(buf: Buffer): void {
    try {
      for (const { header } of iterateRtcp(buf)) {
        if (header.packetType === RtcpType.PSFB && (header.count === FMT_PLI || header.count === FMT_FIR)) {
          this.opts.onRoomWantsKeyframe();
          return;
        }
      }
    } catch (err) {
      this.opts.onDrop('rtcp-malformed', { error: (err as Error).message });
    }
  }

  /** H.264 RTP of the participant the room sees. Ownership passes in: rewritten in place. */
  onCloudVideo(buf: Buffer): void {
    let layout;
    try {
      layout = parseRtpHeader(buf);
    } catch (err) {
      this.opts.onDrop('malformed', { error: (err as Error).message });
      return;
    }
    let pkt = buf;
    if (layout.extensionOffset >= 0) {
      // Strip the extension: move the fixed header + CSRCs up against the payload.
      const headerLen = RTP_HEADER_SIZE + 4 * layout.csrcCount;
      const extLen = layout.payloadOffset - layout.extensionOffset;
      buf.copyWithin(extLen, 0, headerLen);
      pkt = buf.subarray(extLen);
      pkt[0] = pkt[0]! & ~0x10;
    }
    const ssrc = rtpSsrc(pkt);
    const seq = rtpSequence(pkt);
    const ts = rtpTimestamp(pkt);
    const now = this.now();
    if (ssrc !== this.inSsrc) {
      // A decoder cannot continue one participant's picture with another's P-frames (H.264
      // 8.2.1): keep showing the old source until the new one starts with an IDR.
      const payload = pkt.subarray(RTP_HEADER_SIZE + 4 * layout.csrcCount);
      if (!isH264KeyframeStart(payload)) {
        this.pendingSsrc = ssrc;
        this.heldForKeyframe++;
        this.opts.onCloudSourceSwitch();
        return;
      }
      this.pendingSsrc = undefined;
      this.switchSource(ssrc, seq, ts, now);
    }
    const outSeq = (seq + this.seqOffset) & 0xffff;
    const outTs = (ts + this.tsOffset) >>> 0;
    setRtpSequence(pkt, outSeq);
    setRtpTimestamp(pkt, outTs);
    setRtpSsrc(pkt, this.stream.ssrc);
    setRtpPayloadType(pkt, this.opts.payloadType);
    if (((outSeq - this.lastOutSeq) << 16) >> 16 > 0 || !this.started) {
      this.lastOutSeq = outSeq;
      this.lastOutTs = outTs;
      this.lastOutWallMs = now;
      this.started = true;
    }
    if (this.singleNal) {
      this.sendSingleNals(pkt, outSeq, outTs, now);
      return;
    }
    this.stream.record(outTs, pkt.length - RTP_HEADER_SIZE, now);
    this.opts.sendToRoom(pkt);
  }

  /** Packetization-mode 0 room: one NAL unit per packet, our own continuous sequence numbers. */
  private sendSingleNals(pkt: Buffer, seq: number, ts: number, now: number): void {
    const marker = (pkt[1]! & 0x80) !== 0;
    const csrcBytes = 4 * (pkt[0]! & 0x0f);
    const padding = pkt[0]! & 0x20 ? pkt[pkt.length - 1]! : 0;
    const payload = pkt.subarray(RTP_HEADER_SIZE + csrcBytes, pkt.length - padding);
    for (const out of this.singleNal!.push(payload, seq, ts, marker)) {
      const packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + out.nal.length);
      out.nal.copy(packet, RTP_HEADER_SIZE);
      writeRtpHeader(packet, this.opts.payloadType, out.marker, this.stream.nextSeq(), ts, this.stream.ssrc);
      this.stream.record(ts, out.nal.length, now);
      this.opts.sendToRoom(packet);
    }
  }

  private switchSource(ssrc: number, seq: number, ts: number, now: number): void {
    const first = !this.started;
    this.inSsrc = ssrc;
    const nextSeq = first ? this.stream.seq : (this.lastOutSeq + 1) & 0xffff;
    // Advance the timestamp by the wall time since our last packet (90 kHz), at least 1 tick.
    const nextTs = first
      ? this.stream.ts
      : (this.lastOutTs + Math.max(1, Math.round((now - this.lastOutWallMs) * 90))) >>> 0;
    this.seqOffset = (nextSeq - seq) & 0xffff;
    this.tsOffset = (nextTs - ts) >>> 0;
    // Force the bookkeeping to follow the new source from here.
    this.lastOutSeq = (nextSeq - 1) & 0xffff;
    this.switches++;
  }

  /** True while a new meeting source is held back waiting for its keyframe. */
  get awaitingKeyframe(): boolean {
    return this.pendingSsrc !== undefined;
  }
}

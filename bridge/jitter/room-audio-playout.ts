import { parseRtpHeader, rtpPayloadType, rtpSsrc, writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import { ComfortNoiseGenerator, ComfortNoisePayload } from '../audio/cn/index.ts';
import type { PayloadConcealer } from '../audio/concealment.ts';
import { JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type JitterEvent } from './jitter-buffer.ts';

/** Comfort noise frames generated at most per tick (catching up after a stalled tick). */
const MAX_CN_FRAMES_PER_TICK = 5;

export interface RoomAudioPlayoutOptions {
  clockRate: number;
  /** The room's audio payload type (concealed packets carry it). */
  payloadType: number;
  /** Conceals lost packets of a transcoded codec; absent for passthrough (Opus), whose receiver conceals. */
  concealer?: PayloadConcealer;
  /** Hands a packet (received or concealed, in order, on the room's timestamps) to the transcoder. */
  deliver: (rtp: Buffer) => void;
  jitter?: Omit<JitterBufferOptions, 'clockRate'>;
  /** RFC 3389 comfort noise payload type negotiated with the room; absent = no CN. */
  cnPt?: number;
  /** PCM samples per RTP timestamp unit of the room's codec: 1 (G.711), 2 (G.722, RFC 3551 4.5.2). Default 1. */
  samplesPerTs?: number;
  /** Hands comfort noise (PCM at the room's sampling rate, starting at RTP timestamp `ts`) to the transcoder. */
  deliverPcm?: (ts: number, pcm: Int16Array) => void;
  /** A CN payload that could not be read (logged once by the caller). */
  onDrop?: (key: 'cn-malformed', detail: object) => void;
}

export type RoomAudioPlayoutStats = JitterBufferStats & {
  concealedFrames: number;
  /** 20 ms frames of comfort noise generated during the room's silence (RFC 3389). */
  comfortNoiseFrames: number;
  /** SID frames (CN packets) received. */
  sidFrames: number;
};

/**
 * room → meeting: the room's audio RTP through a jitter buffer before the transcoder. A packet
 * that continues the stream goes on at once; only packets behind a gap wait (for the missing one,
 * or for its slot to be declared lost and concealed). Packets come out reordered, on the room's own timestamps (so the transcoder's timing and the clock
 * drift of the room pass through unchanged to the meeting); a lost packet of a transcoded codec
 * becomes a concealed packet with the lost sequence number and timestamp.
 *
 * Comfort noise (RFC 3389): a CN packet says the room went silent. From its timestamp until the
 * next speech packet, 20 ms frames of noise at its level and spectrum are handed on, each when
 * its slot on the room's timeline is due (as a packet there would be); missing packets in that
 * stretch are not concealed (they were CN updates or silence, not speech), and the CN packet
 * itself never reaches the decoder.
 */
export class RoomAudioPlayout {
  readonly buffer: JitterBuffer;
  private ssrc = 0;
  concealedFrames = 0;
  comfortNoiseFrames = 0;
  sidFrames = 0;
  private readonly frameTs: number;
  private readonly samplesPerTs: number;
  private readonly noise = new ComfortNoiseGenerator();
  private noiseFrame: Int16Array;
  /** True from a CN packet until the next speech packet. */
  private silent = false;
  /** Room timestamp of the next comfort noise frame. */
  private noiseTs = 0;
  /** Room timestamp where the last speech packet ended. */
  private speechEndTs: number | undefined;

  constructor(private readonly opts: RoomAudioPlayoutOptions) {
    this.buffer = new JitterBuffer({ ...opts.jitter, clockRate: opts.clockRate });
    this.frameTs = Math.round(opts.clockRate / 50);
    this.samplesPerTs = opts.samplesPerTs ?? 1;
    this.noiseFrame = new Int16Array(this.frameTs * this.samplesPerTs);
  }

  push(rtp: Buffer, arrivalMs: number): void {
    this.buffer.push(rtp, arrivalMs);
    // In order: to the transcoder now. The meeting's receivers run their own jitter buffers, so
    // holding a packet that is not behind a gap would only add delay, and releasing it on the
    // 20 ms tick moved the output by a whole tick whenever the playout delay crossed one
    // (bench/media-audio.ts, gateway configuration: 1.7-3.8 % late at N=10, 0 % without it).
    this.buffer.releaseInOrder(this.onEvent);
  }

  tick(nowMs: number): void {
    this.buffer.pull(nowMs, this.onEvent);
    if (this.silent) this.playComfortNoise(nowMs);
  }

  /** True while the room is in a CN silence period. */
  get inComfortNoise(): boolean {
    return this.silent;
  }

  stats(): RoomAudioPlayoutStats {
    return { ...this.buffer.stats(), concealedFrames: this.concealedFrames, comfortNoiseFrames: this.comfortNoiseFrames, sidFrames: this.sidFrames };
  }

  private readonly onEvent = (ev: JitterEvent): void => {
    const c = this.opts.concealer;
    if (ev.kind === 'packet') {
      this.ssrc = rtpSsrc(ev.rtp);
      const pt = rtpPayloadType(ev.rtp);
      if (pt === this.opts.cnPt && this.opts.deliverPcm) return this.onSid(ev.rtp, ev.ts);
      if (pt === this.opts.payloadType) {
        this.silent = false; // RFC 3389 4: speech resumes
        const l = parseRtpHeader(ev.rtp);
        const end = ev.rtp.length - l.paddingLength;
        if (end > l.payloadOffset) {
          // G.711 and G.722 both carry one octet per timestamp unit
          this.speechEndTs = (ev.ts + (end - l.payloadOffset)) >>> 0;
          if (c) c.observe(ev.rtp.subarray(l.payloadOffset, end));
        }
      }
      this.opts.deliver(ev.rtp);
      return;
    }
    // a gap inside a CN silence period is not lost speech: the noise goes on, no concealment
    if (this.silent || !c || ev.samples <= 0) return;
    const payload = c.conceal(ev.samples);
    const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
    writeRtpHeader(pkt, this.opts.payloadType, false, ev.seq, ev.ts, this.ssrc);
    payload.copy(pkt, RTP_HEADER_SIZE);
    this.concealedFrames++;
    this.opts.deliver(pkt);
  };

  /** RFC 3389 3: a SID frame starts (or updates) the comfort noise. */
  private onSid(rtp: Buffer, ts: number): void {
    const l = parseRtpHeader(rtp);
    let sid: ComfortNoisePayload;
    try {
      sid = ComfortNoisePayload.decode(rtp.subarray(l.payloadOffset, rtp.length - l.paddingLength));
    } catch (err) {
      this.opts.onDrop?.('cn-malformed', { error: String(err) });
      return;
    }
    this.sidFrames++;
    this.noise.update(sid);
    // an update within the silence: same timeline, new level/spectrum; unless the room's
    // timeline jumped (a new stream, a restart): then the noise follows the CN packet's timestamp
    if (this.silent && Math.abs((ts - this.noiseTs) | 0) <= this.opts.clockRate) return;
    this.silent = true;
    // the noise starts at the CN packet's timestamp, never over the end of the last speech
    const end = this.speechEndTs;
    this.noiseTs = end !== undefined && ((ts - end) | 0) < 0 ? end : ts;
  }

  private playComfortNoise(nowMs: number): void {
    const deliver = this.opts.deliverPcm!;
    for (let n = 0; n < MAX_CN_FRAMES_PER_TICK; n++) {
      // a frame is handed on once its end is due, so real speech that follows is never overtaken
      const due = this.buffer.dueAt((this.noiseTs + this.frameTs) >>> 0);
      if (due === undefined || nowMs < due) return;
      const behindFrames = Math.floor((nowMs - due) / 20);
      if (behindFrames > MAX_CN_FRAMES_PER_TICK) {
        // far behind (a stalled clock, a jump of the playout mapping): skip, never burst
        this.noiseTs = (this.noiseTs + behindFrames * this.frameTs) >>> 0;
        continue;
      }
      this.noise.generate(this.noiseFrame);
      deliver(this.noiseTs, this.noiseFrame);
      this.comfortNoiseFrames++;
      this.noiseTs = (this.noiseTs + this.frameTs) >>> 0;
    }
  }
}

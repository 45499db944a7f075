import { parseRtpHeader, rtpPayloadType, rtpSsrc, writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import type { PayloadConcealer } from '../audio/concealment.ts';
import { JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type JitterEvent } from './jitter-buffer.ts';

export interface RoomAudioPlayoutOptions {
  clockRate: number;
  /** The room's audio payload type (concealed packets carry it). */
  payloadType: number;
  /** Conceals lost packets of a transcoded codec; absent for passthrough (Opus), whose receiver conceals. */
  concealer?: PayloadConcealer;
  /** Hands a packet (received or concealed, in order, on the room's timestamps) to the transcoder. */
  deliver: (rtp: Buffer) => void;
  jitter?: Omit<JitterBufferOptions, 'clockRate'>;
}

/**
 * room → meeting: the room's audio RTP through a jitter buffer before the transcoder. Packets
 * come out reordered, on the room's own timestamps (so the transcoder's timing and the clock
 * drift of the room pass through unchanged to the meeting); a lost packet of a transcoded codec
 * becomes a concealed packet with the lost sequence number and timestamp.
 */
export class RoomAudioPlayout {
  readonly buffer: JitterBuffer;
  private ssrc = 0;
  concealedFrames = 0;

  constructor(private readonly opts: RoomAudioPlayoutOptions) {
    this.buffer = new JitterBuffer({ ...opts.jitter, clockRate: opts.clockRate });
  }

  push(rtp: Buffer, arrivalMs: number): void {
    this.buffer.push(rtp, arrivalMs);
  }

  tick(nowMs: number): void {
    this.buffer.pull(nowMs, this.onEvent);
  }

  stats(): JitterBufferStats & { concealedFrames: number } {
    return { ...this.buffer.stats(), concealedFrames: this.concealedFrames };
  }

  private readonly onEvent = (ev: JitterEvent): void => {
    const c = this.opts.concealer;
    if (ev.kind === 'packet') {
      this.ssrc = rtpSsrc(ev.rtp);
      if (c && rtpPayloadType(ev.rtp) === this.opts.payloadType) {
        const l = parseRtpHeader(ev.rtp);
        const end = ev.rtp.length - l.paddingLength;
        if (end > l.payloadOffset) c.observe(ev.rtp.subarray(l.payloadOffset, end));
      }
      this.opts.deliver(ev.rtp);
      return;
    }
    if (!c || ev.samples <= 0) return;
    const payload = c.conceal(ev.samples);
    const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
    writeRtpHeader(pkt, this.opts.payloadType, false, ev.seq, ev.ts, this.ssrc);
    payload.copy(pkt, RTP_HEADER_SIZE);
    this.concealedFrames++;
    this.opts.deliver(pkt);
  };
}

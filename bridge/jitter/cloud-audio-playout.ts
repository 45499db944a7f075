import { parseRtpHeader } from '../../rtp/index.ts';
import { JitterBuffer, type JitterBufferOptions, type JitterEvent } from './jitter-buffer.ts';

const OPUS_RATE = 48000;
const FRAME = 960; // 20 ms at 48 kHz

export interface CloudAudioPlayoutOptions {
  /** A released Opus packet of one source, in order (MeetingAudioToRoom.onCloudAudio). */
  deliver: (sourceId: string, rtp: Buffer, nowMs: number) => void;
  /** A lost packet of one source: decoder PLC of `samples` (48 kHz) into the mix. */
  conceal: (sourceId: string, samples: number, nowMs: number) => void;
  /** Samples of this source waiting in the mixer (drift control). */
  queuedSamples: (sourceId: string) => number;
  jitter?: Omit<JitterBufferOptions, 'clockRate'>;
  /** Sources with no packet for this long are forgotten, ms. Default 10000. */
  idleMs?: number;
}

export interface CloudAudioPlayoutStats {
  sources: number;
  late: number;
  duplicates: number;
  concealedPackets: number;
  concealedMs: number;
  /** Frames dropped to keep a fast sender clock from growing the mixer queue. */
  driftDrops: number;
  /** Largest playout delay among the sources, ms. */
  playoutDelayMs: number;
}

/**
 * meeting → room: one jitter buffer per meeting Opus source before the decoder and the mixer
 * (which plays on our 20 ms clock). Lost packets are concealed by the source's decoder PLC.
 *
 * Clock drift against our tick: a sender whose clock runs fast fills the mixer queue by a few
 * samples per second. When a source holds more than 4 frames in the mixer, the next released
 * packet is dropped if it is small (≤ 20 bytes: Opus silence or comfort noise), and at more than
 * 6 frames any packet is dropped ("compress", counted in driftDrops). A slow sender drains the
 * queue: the mixer's underrun re-buffers two frames ("insert" of silence).
 */
export class CloudAudioPlayout {
  private readonly sources = new Map<string, { jb: JitterBuffer; lastPushMs: number }>();
  private readonly idleMs: number;
  private driftDrops = 0;
  private gone = { late: 0, duplicates: 0, concealedPackets: 0, concealedMs: 0 };
  private current = '';
  private nowMs = 0;

  constructor(private readonly opts: CloudAudioPlayoutOptions) {
    this.idleMs = opts.idleMs ?? 10000;
  }

  push(sourceId: string, rtp: Buffer, arrivalMs: number): void {
    let s = this.sources.get(sourceId);
    if (!s) {
      s = { jb: new JitterBuffer({ ...this.opts.jitter, clockRate: OPUS_RATE }), lastPushMs: arrivalMs };
      this.sources.set(sourceId, s);
    }
    s.lastPushMs = arrivalMs;
    s.jb.push(rtp, arrivalMs);
  }

  /** Release what is due for every source (call before the mixer's tick). */
  tick(nowMs: number): void {
    this.nowMs = nowMs;
    for (const [id, s] of this.sources) {
      if (nowMs - s.lastPushMs > this.idleMs && s.jb.queued === 0) {
        this.remove(id);
        continue;
      }
      this.current = id;
      s.jb.pull(nowMs, this.onEvent);
    }
  }

  remove(sourceId: string): void {
    const s = this.sources.get(sourceId);
    if (!s) return;
    const st = s.jb.stats();
    this.gone.late += st.late;
    this.gone.duplicates += st.duplicates;
    this.gone.concealedPackets += st.concealedPackets;
    this.gone.concealedMs += st.concealedMs;
    this.sources.delete(sourceId);
  }

  stats(): CloudAudioPlayoutStats {
    const out: CloudAudioPlayoutStats = { sources: this.sources.size, ...this.gone, driftDrops: this.driftDrops, playoutDelayMs: 0 };
    for (const s of this.sources.values()) {
      const st = s.jb.stats();
      out.late += st.late;
      out.duplicates += st.duplicates;
      out.concealedPackets += st.concealedPackets;
      out.concealedMs += st.concealedMs;
      out.playoutDelayMs = Math.max(out.playoutDelayMs, st.playoutDelayMs);
    }
    return out;
  }

  private readonly onEvent = (ev: JitterEvent): void => {
    const id = this.current;
    if (ev.kind === 'lost') {
      if (ev.samples > 0) this.opts.conceal(id, ev.samples, this.nowMs);
      return;
    }
    const queued = this.opts.queuedSamples(id);
    if (queued > 6 * FRAME || (queued > 4 * FRAME && payloadBytes(ev.rtp) <= 20)) {
      this.driftDrops++;
      return;
    }
    this.opts.deliver(id, ev.rtp, this.nowMs);
  };
}

function payloadBytes(rtp: Buffer): number {
  const l = parseRtpHeader(rtp);
  return rtp.length - l.paddingLength - l.payloadOffset;
}

import { ComfortNoisePayload, rmsToDbov } from './comfort-noise-payload.ts';

export interface ComfortNoiseSenderOptions {
  /** Silence (frames below `silenceRms`) before the first CN packet, ms. Default 200. */
  hangoverMs?: number;
  /** Interval between CN packets during one silence, ms. Default 500. */
  refreshMs?: number;
  /** A 20 ms frame whose RMS (16-bit scale) is below this is silence. Default 60 (≈ -55 dBov), the mix's speaker threshold. */
  silenceRms?: number;
}

/** What to put on the wire for the next packet of audio. */
export type ComfortNoiseDecision =
  /** Send the audio packet; `marker`: it starts a talkspurt after a CN silence (RFC 3551 4.1). */
  | { kind: 'audio'; marker: boolean }
  /** Send this CN payload in its place (same timestamp, next sequence number). */
  | { kind: 'sid'; payload: Buffer }
  /** Send nothing: the room plays comfort noise (the timestamp still advances). */
  | { kind: 'skip' };

const FRAME_MS = 20;
const AUDIO: ComfortNoiseDecision = { kind: 'audio', marker: false };
const AUDIO_AFTER_SILENCE: ComfortNoiseDecision = { kind: 'audio', marker: true };
const SKIP: ComfortNoiseDecision = { kind: 'skip' };

/**
 * Discontinuous transmission toward one room that negotiated CN (RFC 3389 4): audio is sent
 * while anyone in the meeting is heard; after `hangoverMs` of silence one CN packet with the
 * measured level of that silence (RFC 3389 3.1, no spectral model: order 0) replaces the audio,
 * and then nothing but a CN update every `refreshMs` (RFC 3389 4 leaves the update rate to the
 * sender: we refresh periodically so the room's level follows and terminals that watch for RTP
 * keep hearing the stream). The first audio packet after it carries the marker.
 * One per room stream: it never touches the (shared) encoded payloads, only chooses what to send.
 */
export class ComfortNoiseSender {
  private readonly hangoverMs: number;
  private readonly refreshMs: number;
  private readonly silence2: number;
  private silentMs = 0;
  /** Energy sum and frame count of the current silence (its measured level). */
  private energy = 0;
  private frames = 0;
  private inSilence = false;
  private lastSidMs = 0;
  sidSent = 0;

  constructor(opts: ComfortNoiseSenderOptions = {}) {
    this.hangoverMs = opts.hangoverMs ?? 200;
    this.refreshMs = opts.refreshMs ?? 500;
    const s = opts.silenceRms ?? 60;
    this.silence2 = s * s;
  }

  /** One 20 ms frame of what this room hears, by its RMS on a 16-bit scale. */
  observeFrame(rms: number): void {
    if (rms * rms >= this.silence2) {
      this.silentMs = 0;
      this.energy = 0;
      this.frames = 0;
      return;
    }
    this.silentMs += FRAME_MS;
    this.energy += rms * rms;
    this.frames++;
  }

  /** Decide for the next audio packet, at `nowMs`. */
  decide(nowMs: number): ComfortNoiseDecision {
    if (this.silentMs === 0) {
      if (!this.inSilence) return AUDIO;
      this.inSilence = false;
      return AUDIO_AFTER_SILENCE;
    }
    if (!this.inSilence) {
      if (this.silentMs <= this.hangoverMs) return AUDIO;
      this.inSilence = true;
      return this.sid(nowMs);
    }
    return nowMs - this.lastSidMs >= this.refreshMs ? this.sid(nowMs) : SKIP;
  }

  private sid(nowMs: number): ComfortNoiseDecision {
    this.lastSidMs = nowMs;
    this.sidSent++;
    const rms = this.frames > 0 ? Math.sqrt(this.energy / this.frames) : 0;
    return { kind: 'sid', payload: new ComfortNoisePayload(rmsToDbov(rms)).encode() };
  }
}

/** RMS of a 48 kHz float frame on a 16-bit scale. */
export function frameRms(frame: Float32Array): number {
  let s = 0;
  for (let i = 0; i < frame.length; i++) s += frame[i]! * frame[i]!;
  return frame.length > 0 ? Math.sqrt(s / frame.length) : 0;
}

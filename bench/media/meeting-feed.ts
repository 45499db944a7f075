/**
 * An in-process meeting for the listening-room bench: S speakers whose pre-encoded Opus
 * packets (payloads.ts) are delivered every 20 ms to every attached CloudMediaPort, each port
 * getting its own copy as a WebRTC leg would, unless the port was asked to stop a speaker
 * (setAudioSourceWanted: the meeting's shared mix already gets it from another port, and the SFU
 * would stop forwarding it to this leg). No UDP, no werift on this side: what is
 * measured is what each room's CallMedia does with the meeting's audio (decode every speaker,
 * mix, resample, G.711-encode, send to the room).
 */
import { EventEmitter } from 'node:events';
import type { CloudMediaPort, CloudMediaPortEvents } from '../../bridge/index.ts';
import { writeRtpHeader } from '../../rtp/index.ts';
import { CYCLE_FRAMES, FRAME_MS, opusCycle } from './payloads.ts';

/** A meeting-side port that only receives (listening room: nothing goes back to the meeting). */
export class FeedPort extends EventEmitter<CloudMediaPortEvents> implements CloudMediaPort {
  sentAudio = 0;
  /** Speakers this port was asked not to receive (as the werift leg pauses their consumers). */
  private readonly unwanted = new Set<string>();
  sendAudio(): void { this.sentAudio++; }
  sendVideo(): void { /* listening rooms send no video */ }
  requestKeyframe(): void { /* nothing to ask */ }
  setAudioSourceWanted(sourceId: string, wanted: boolean): void {
    if (wanted) this.unwanted.delete(sourceId);
    else this.unwanted.add(sourceId);
  }

  wants(sourceId: string): boolean {
    return !this.unwanted.has(sourceId);
  }
}

/** Catch-up limit of the feed loop, ms. */
const MAX_BEHIND_MS = 100;

interface Speaker { id: string; ssrc: number; seq: number; ts: number; frame: number; due: number }

export class MeetingFeed {
  readonly ports: FeedPort[] = [];
  /**
   * Frames not delivered because this process fell more than MAX_BEHIND_MS behind: a starved
   * gateway's socket buffers would overflow the same way, so the feed drops rather than bursts.
   */
  skippedFrames = 0;
  private readonly frames = opusCycle();
  private readonly speakers: Speaker[];
  private timer: NodeJS.Timeout | undefined;

  constructor(speakers: number) {
    // Speakers' packets reach the gateway at different moments (phases set by start()).
    this.speakers = Array.from({ length: speakers }, (_, i) => ({
      id: `speaker-${i + 1}`, ssrc: 0x1000 + i, seq: 1000 * i, ts: 48000 * i, frame: 7 * i, due: 0,
    }));
  }

  attach(): FeedPort {
    const p = new FeedPort();
    this.ports.push(p);
    return p;
  }

  /** Starts the speakers; a running feed is left as it is. */
  start(): void {
    if (this.timer) return;
    const start = performance.now();
    this.speakers.forEach((s, i) => { s.due = start + (FRAME_MS * i) / this.speakers.length; });
    const loop = (): void => {
      const now = performance.now();
      for (const s of this.speakers) {
        if (now - s.due > MAX_BEHIND_MS) {
          const skip = Math.floor((now - s.due) / FRAME_MS);
          this.skippedFrames += skip;
          s.frame += skip;
          s.ts = (s.ts + 960 * skip) >>> 0;
          s.due += skip * FRAME_MS;
        }
        while (s.due <= now) {
          this.deliver(s);
          s.due += FRAME_MS;
        }
      }
      this.timer = setTimeout(loop, 1);
    };
    loop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private deliver(s: Speaker): void {
    const payload = this.frames[s.frame % CYCLE_FRAMES]!;
    const pkt = Buffer.allocUnsafe(12 + payload.length);
    writeRtpHeader(pkt, 111, false, s.seq, s.ts, s.ssrc);
    payload.copy(pkt, 12);
    s.seq = (s.seq + 1) & 0xffff;
    s.ts = (s.ts + 960) >>> 0;
    s.frame++;
    for (const p of this.ports) if (p.wants(s.id)) p.emit('audio', s.id, Buffer.from(pkt)); // each leg owns its buffer
  }
}

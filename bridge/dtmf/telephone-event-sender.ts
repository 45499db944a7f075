import { writeRtpHeader, RTP_HEADER_SIZE } from '../../rtp/index.ts';
import type { SendStream } from '../send-stream.ts';
import { clampDtmfDuration, eventOfDigit, type DtmfDigit } from './dtmf-digit.ts';
import { TelephoneEvent, TELEPHONE_EVENT_SIZE } from './telephone-event.ts';

export interface TelephoneEventSenderOptions {
  /** The negotiated telephone-event payload type (RFC 4733 2.5.1.1). */
  payloadType: number;
  /** The audio stream toward the room: events share its SSRC, sequence and clock (RFC 4733 2.1). */
  stream: SendStream;
  send: (rtp: Buffer) => void;
  /** Spacing of updates and of the end retransmissions, ms. Default 50 (RFC 4733 2.5.1.2). */
  updateIntervalMs?: number;
  /** Pause between queued digits, ms. Default 60 (ITU-T Q.24: at least 40 ms). */
  interDigitGapMs?: number;
  /** Power level, -dBm0 (RFC 4733 2.3.4). Default 10. */
  volume?: number;
  /** Digits that may wait; more are refused. Default 32. */
  maxQueue?: number;
}

interface Sending {
  event: number;
  ts: number;
  startedAtMs: number;
  durationMs: number;
  lastSentAtMs: number;
  endsSent: number;
}

const END_PACKETS = 3;
/**
 * The media clock's tick: each tick holds back one 20 ms audio frame, so at a tick `elapsed` ms
 * into the event it covers elapsed + 20 ms. Reporting that keeps the duration non-zero from the
 * first packet (some receivers refuse zero-duration DTMF packets).
 */
const FRAME_MS = 20;

/**
 * RFC 4733 2.5.1 sender of DTMF events on the room's audio stream, clocked by the caller's
 * 20 ms ticks. Per digit: a first packet with the marker bit (2.5.1.2) and the event start as
 * its timestamp, updates with the growing duration every `updateIntervalMs`, then the final
 * packet with the E bit sent three times at that interval (2.5.1.4). Each packet takes the
 * next sequence number of the audio stream. While `active`, the audio path must not send
 * (it only advances the stream's clock), so the event's timestamps stay in the audio timeline.
 */
export class TelephoneEventSender {
  private readonly queue: { digit: DtmfDigit; durationMs: number }[] = [];
  private sending: Sending | undefined;
  private idleUntilMs = 0;
  private readonly interval: number;
  private readonly gap: number;
  digitsSent = 0;
  packetsSent = 0;

  constructor(private readonly opts: TelephoneEventSenderOptions) {
    this.interval = opts.updateIntervalMs ?? 50;
    this.gap = opts.interDigitGapMs ?? 60;
  }

  /** True while an event is on the wire (start sent, last end packet not yet sent). */
  get active(): boolean {
    return this.sending !== undefined;
  }

  get pending(): number {
    return this.queue.length + (this.sending ? 1 : 0);
  }

  /** Queue one digit; false when the queue is full. It starts on a later tick. */
  enqueue(digit: DtmfDigit, durationMs?: number): boolean {
    if (this.queue.length >= (this.opts.maxQueue ?? 32)) return false;
    this.queue.push({ digit, durationMs: clampDtmfDuration(durationMs) });
    return true;
  }

  /** Drop every queued digit and abandon the current one (after a re-INVITE, on close). */
  clear(): void {
    this.queue.length = 0;
    this.sending = undefined;
  }

  /** The 20 ms media clock. Call before the audio path's tick of the same instant. */
  tick(nowMs: number): void {
    const s = this.sending;
    if (!s) {
      if (nowMs < this.idleUntilMs) return;
      const next = this.queue.shift();
      if (next) this.begin(next.digit, next.durationMs, nowMs);
      return;
    }
    if (nowMs - s.lastSentAtMs < this.interval) return;
    const elapsedMs = nowMs - s.startedAtMs;
    if (s.endsSent === 0 && elapsedMs < s.durationMs) {
      this.emit(s, false, this.units(Math.min(elapsedMs + FRAME_MS, s.durationMs)), nowMs);
      return;
    }
    // RFC 4733 2.5.1.4: the final packet, three times, all with the final duration
    this.emit(s, true, this.units(s.durationMs), nowMs);
    s.endsSent++;
    if (s.endsSent >= END_PACKETS) {
      this.sending = undefined;
      this.idleUntilMs = nowMs + this.gap;
      this.digitsSent++;
    }
  }

  private begin(digit: DtmfDigit, durationMs: number, nowMs: number): void {
    const s: Sending = {
      event: eventOfDigit(digit),
      ts: this.opts.stream.ts, // RFC 4733 2.5.1.2: the event's timestamp is its start instant
      startedAtMs: nowMs,
      durationMs,
      lastSentAtMs: nowMs,
      endsSent: 0,
    };
    this.sending = s;
    this.emit(s, false, this.units(Math.min(FRAME_MS, durationMs)), nowMs, true);
  }

  private units(ms: number): number {
    return Math.min(0xffff, Math.round((ms * this.opts.stream.clockRate) / 1000));
  }

  private emit(s: Sending, end: boolean, duration: number, nowMs: number, marker = false): void {
    const stream = this.opts.stream;
    const pkt = Buffer.allocUnsafe(RTP_HEADER_SIZE + TELEPHONE_EVENT_SIZE);
    writeRtpHeader(pkt, this.opts.payloadType, marker, stream.nextSeq(), s.ts, stream.ssrc);
    new TelephoneEvent(s.event, end, this.opts.volume ?? 10, duration).encodeInto(pkt, RTP_HEADER_SIZE);
    s.lastSentAtMs = nowMs;
    // RFC 3550 6.4.1 counts; lastTs stays with the audio so SR timestamps remain monotonic
    stream.packets = (stream.packets + 1) >>> 0;
    stream.octets = (stream.octets + TELEPHONE_EVENT_SIZE) >>> 0;
    this.packetsSent++;
    this.opts.send(pkt);
  }
}

import { parseRtpHeader, rtpSsrc, rtpTimestamp } from '../../rtp/index.ts';
import { digitOfEvent, type DtmfDigit } from './dtmf-digit.ts';
import { TelephoneEvent } from './telephone-event.ts';

/** One key press the room sent as RFC 4733 events. */
export interface ReceivedDtmf {
  digit: DtmfDigit;
  /** From the event's duration field (RFC 4733 2.3.5), or the time packets arrived for, ms. */
  durationMs: number;
  /** Monotonic ms (the caller's clock) when the first packet of the event arrived. */
  startedAtMs: number;
  /** What ended it: its E bit, a newer event, or silence for `timeoutMs`. */
  endedBy: 'end-bit' | 'next-event' | 'timeout';
}

export interface TelephoneEventReceiverOptions {
  /** The telephone-event clock, Hz (RFC 4733 2.1: the audio codec's rate, 8000 for G.711). */
  clockRate: number;
  /** An event has started (first packet seen): lets the call merge INFO digits with it. */
  onStart?: (digit: DtmfDigit, atMs: number) => void;
  /** Exactly once per event. */
  onDigit: (d: ReceivedDtmf) => void;
  /** An event without packets for this long is over (its end packets were lost), ms. Default 500. */
  timeoutMs?: number;
}

export interface TelephoneEventReceiverStats {
  digits: number;
  /** Packets of an event already reported (the E-bit retransmissions, RFC 4733 2.5.1.4). */
  duplicates: number;
  /** Packets of events older than the current one (reordered). */
  stale: number;
  /** Events outside 0-15 (RFC 4733 3.2: not DTMF), ignored. */
  otherEvents: number;
  malformed: number;
}

/** Events this far behind the last one (seconds) are reordered packets; farther is a restart. */
const STALE_WINDOW_S = 10;

interface Current {
  ts: number;
  digit: DtmfDigit;
  startedAtMs: number;
  lastPacketAtMs: number;
  /** Largest duration seen, timestamp units. */
  duration: number;
}

/**
 * RFC 4733 2.5.2 receiver for DTMF: turns a stream of event packets into one digit per event.
 * Packets with the same RTP timestamp belong to one event (2.5.1.2); the digit is reported
 * when its E bit arrives (2.3.2), when a newer event starts, or after `timeoutMs` without
 * packets (end packets lost, 2.5.2.2). The retransmitted end packets (2.5.1.4) and late
 * updates of a reported event are counted and dropped. A lost start packet does not matter:
 * any packet of an unseen timestamp starts the event.
 * Time comes from the caller (`nowMs` arguments, `tick`), so tests control it.
 */
export class TelephoneEventReceiver {
  private current: Current | undefined;
  /** Timestamp of the last event reported; its stragglers are duplicates. */
  private lastDoneTs: number | undefined;
  private ssrc: number | undefined;
  private readonly timeoutMs: number;
  readonly counters: TelephoneEventReceiverStats = { digits: 0, duplicates: 0, stale: 0, otherEvents: 0, malformed: 0 };

  constructor(private readonly opts: TelephoneEventReceiverOptions) {
    this.timeoutMs = opts.timeoutMs ?? 500;
  }

  /** One RTP packet on the telephone-event payload type (already validated as RTP). */
  onRtp(rtp: Buffer, nowMs: number): void {
    let ev: TelephoneEvent;
    try {
      const layout = parseRtpHeader(rtp);
      ev = TelephoneEvent.decode(rtp.subarray(layout.payloadOffset, rtp.length - layout.paddingLength));
    } catch {
      this.counters.malformed++;
      return;
    }
    const ssrc = rtpSsrc(rtp);
    if (this.ssrc !== undefined && ssrc !== this.ssrc) this.restart(); // a new stream: new timeline
    this.ssrc = ssrc;
    this.onEvent(rtpTimestamp(rtp), ev, nowMs);
  }

  /** The sender's stream restarted: finish what was running, forget the old timeline. */
  private restart(): void {
    this.finish('next-event');
    this.lastDoneTs = undefined;
  }

  /** The decoded payload of one packet with RTP timestamp `ts`. */
  onEvent(ts: number, ev: TelephoneEvent, nowMs: number): void {
    if (this.lastDoneTs !== undefined) {
      const d = (ts - this.lastDoneTs) | 0; // wrap-safe signed distance (RFC 3550 A.1)
      if (d === 0) {
        this.counters.duplicates++;
        return;
      }
      if (d < 0 && -d <= this.opts.clockRate * STALE_WINDOW_S) {
        this.counters.stale++;
        return;
      }
      if (d < 0) this.restart(); // far behind: the sender's timestamps jumped (RFC 3550 A.1 restart)
    }
    const cur = this.current;
    if (cur && cur.ts !== ts) {
      if (((ts - cur.ts) | 0) < 0) {
        this.counters.stale++;
        return;
      }
      this.finish('next-event');
    }
    const digit = digitOfEvent(ev.event);
    if (digit === undefined) {
      this.counters.otherEvents++;
      return;
    }
    let c = this.current;
    if (!c) {
      c = { ts, digit, startedAtMs: nowMs, lastPacketAtMs: nowMs, duration: 0 };
      this.current = c;
      this.opts.onStart?.(digit, nowMs);
    }
    c.lastPacketAtMs = nowMs;
    c.duration = Math.max(c.duration, ev.duration);
    if (ev.end) this.finish('end-bit');
  }

  /** Clock: ends an event whose packets stopped (RFC 4733 2.5.2.2). */
  tick(nowMs: number): void {
    const c = this.current;
    if (c && nowMs - c.lastPacketAtMs >= this.timeoutMs) this.finish('timeout');
  }

  private finish(endedBy: ReceivedDtmf['endedBy']): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    this.lastDoneTs = c.ts;
    this.counters.digits++;
    const fromField = (c.duration * 1000) / this.opts.clockRate;
    const durationMs = Math.round(fromField > 0 ? fromField : c.lastPacketAtMs - c.startedAtMs);
    this.opts.onDigit({ digit: c.digit, durationMs, startedAtMs: c.startedAtMs, endedBy });
  }
}

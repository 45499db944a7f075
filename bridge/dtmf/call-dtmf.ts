import type { SendStream } from '../send-stream.ts';
import type { DtmfDigit } from './dtmf-digit.ts';
import { TelephoneEventReceiver, type ReceivedDtmf, type TelephoneEventReceiverStats } from './telephone-event-receiver.ts';
import { TelephoneEventSender } from './telephone-event-sender.ts';

export interface CallDtmfOptions {
  onStart: (digit: DtmfDigit, atMs: number) => void;
  onDigit: (d: ReceivedDtmf) => void;
  /** Sends one event packet to the room's audio port. */
  send: (rtp: Buffer) => void;
}

export interface CallDtmfStats {
  /** The negotiated telephone-event payload type, if any. */
  payloadType?: number;
  received: TelephoneEventReceiverStats;
  digitsSent: number;
  packetsSent: number;
}

/**
 * A call's RFC 4733 side: the receiver and sender for the negotiated telephone-event payload
 * type (any PT the offer chose, RFC 4733 2.5.1.1), rebuilt when a re-INVITE changes it.
 * Keeps CallMedia's part to a few calls.
 */
export class CallDtmf {
  private pt: number | undefined;
  private receiver: TelephoneEventReceiver | undefined;
  private sender: TelephoneEventSender | undefined;
  private readonly totals: CallDtmfStats = {
    received: { digits: 0, duplicates: 0, stale: 0, otherEvents: 0, malformed: 0 },
    digitsSent: 0,
    packetsSent: 0,
  };

  constructor(private readonly opts: CallDtmfOptions) {}

  /**
   * Apply the negotiated telephone-event (undefined: none) on the audio stream `stream`.
   * Events are only sent when their clock is the stream's (RFC 4733 2.5.1.2: the event's
   * timestamp is a point on the audio timeline); an Opus room with telephone-event/8000 gets
   * keys by INFO and may still send RFC 4733, which is received on its own 8 kHz clock.
   */
  configure(te: { payloadType: number; clockRate: number } | undefined, stream: SendStream | undefined): void {
    this.fold();
    this.sender?.clear();
    this.pt = te?.payloadType;
    this.receiver = te ? new TelephoneEventReceiver({ clockRate: te.clockRate, onStart: this.opts.onStart, onDigit: this.opts.onDigit }) : undefined;
    this.sender = te && stream && stream.clockRate === te.clockRate ? new TelephoneEventSender({ payloadType: te.payloadType, stream, send: this.opts.send }) : undefined;
  }

  isEventPt(pt: number): boolean {
    return this.pt !== undefined && pt === this.pt;
  }

  get canSend(): boolean {
    return this.sender !== undefined;
  }

  /** An event is on the wire: the audio path must hold its frames. */
  get sending(): boolean {
    return this.sender?.active ?? false;
  }

  onRoomRtp(rtp: Buffer, nowMs: number): void {
    this.receiver?.onRtp(rtp, nowMs);
  }

  send(digit: DtmfDigit, durationMs?: number): boolean {
    return this.sender?.enqueue(digit, durationMs) ?? false;
  }

  tick(nowMs: number): void {
    this.receiver?.tick(nowMs);
    this.sender?.tick(nowMs);
  }

  stats(): CallDtmfStats {
    const s = structuredClone(this.totals);
    const r = this.receiver?.counters;
    if (r) for (const k of Object.keys(r) as (keyof TelephoneEventReceiverStats)[]) s.received[k] += r[k];
    s.digitsSent += this.sender?.digitsSent ?? 0;
    s.packetsSent += this.sender?.packetsSent ?? 0;
    if (this.pt !== undefined) s.payloadType = this.pt;
    return s;
  }

  /** Keep the counters of a receiver/sender about to be replaced. */
  private fold(): void {
    const r = this.receiver?.counters;
    if (r) for (const k of Object.keys(r) as (keyof TelephoneEventReceiverStats)[]) this.totals.received[k] += r[k];
    this.totals.digitsSent += this.sender?.digitsSent ?? 0;
    this.totals.packetsSent += this.sender?.packetsSent ?? 0;
  }
}

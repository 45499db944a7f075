import { clampDtmfDuration, parseDtmfDigit, type DtmfDigit } from '../bridge/index.ts';
import type { CallMediaHandle, MeetingLegHandle } from './media-plane/handles.ts';
import { DtmfMerger } from './dtmf-merger.ts';
import { dtmfRelayBody, DTMF_RELAY_CONTENT_TYPE, parseDtmfInfo } from './dtmf-info.ts';
import type { Logger } from './logger.ts';

export interface CallDtmfRelayDeps {
  media: CallMediaHandle;
  leg: MeetingLegHandle;
  /** Sends an INFO in the call's dialog; resolves with the final status. */
  sendInfo: (contentType: string, body: string) => Promise<number>;
  log: Logger;
  now?: () => number;
}

export interface CallDtmfRelayStats {
  /** Keys the room pressed, per source, before merging. */
  fromRoom: { rfc4733: number; info: number; merged: number };
  /** Keys the meeting asked us to send, by the way they went out. */
  toRoom: { rfc4733: number; info: number; refused: number };
  /** The last keys forwarded to the meeting (up to 16). */
  lastDigits: string;
  /** The RFC 4733 receiver's and sender's own counters. */
  rfc4733: ReturnType<CallMediaHandle['dtmfStats']>;
}

/**
 * DTMF of one call, both ways (issue #4 acceptance 5):
 * - room → meeting: RFC 4733 digits from CallMedia and INFO digits (application/dtmf-relay,
 *   application/dtmf) go through one DtmfMerger and reach the meeting as `dtmf` requests;
 * - meeting → room: `dtmfRequest`s from the meeting go out as RFC 4733 events when the room
 *   negotiated telephone-event, else as INFO application/dtmf-relay, one INFO at a time so
 *   keys keep their order.
 */
export class CallDtmfRelay {
  private readonly merger: DtmfMerger;
  private infoChain: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly counters: Omit<CallDtmfRelayStats, 'rfc4733'> = {
    fromRoom: { rfc4733: 0, info: 0, merged: 0 },
    toRoom: { rfc4733: 0, info: 0, refused: 0 },
    lastDigits: '',
  };
  private readonly detach: (() => void)[] = [];

  constructor(private readonly deps: CallDtmfRelayDeps) {
    const now = deps.now ?? (() => performance.now());
    this.merger = new DtmfMerger(now);
    const onStart = (digit: DtmfDigit, at: number): void => this.merger.rtpStarted(digit, at);
    const onDigit = (digit: DtmfDigit, durationMs: number, startedAt: number): void => {
      this.counters.fromRoom.rfc4733++;
      this.toMeeting('rfc4733', digit, durationMs, startedAt);
    };
    const onRequest = (digit: string, durationMs: number | undefined, from: string): void => this.toRoom(digit, durationMs, from);
    deps.media.on('dtmf-start', onStart);
    deps.media.on('dtmf', onDigit);
    deps.leg.on('dtmf-request', onRequest);
    this.detach.push(
      () => deps.media.off('dtmf-start', onStart),
      () => deps.media.off('dtmf', onDigit),
      () => deps.leg.off('dtmf-request', onRequest),
    );
  }

  /**
   * An INFO from the room: its final status when the body is DTMF (200, or 400 for a DTMF
   * content type we cannot read), undefined when it is not DTMF (the caller decides).
   */
  onInfo(contentType: string | undefined, body: string): number | undefined {
    const p = parseDtmfInfo(contentType, body);
    if (p.kind === 'not-dtmf') return undefined;
    if (p.kind === 'malformed') {
      this.deps.log.debug('unreadable DTMF INFO', { reason: p.reason });
      return 400;
    }
    this.counters.fromRoom.info++;
    this.toMeeting('info', p.value.digit, p.value.durationMs);
    return 200;
  }

  /**
   * A key the room signalled out of band without SIP (H.323: H.245 userInputIndication or a Q.931
   * keypad IE); counted and merged like an INFO key.
   */
  fromRoomSignalled(digit: DtmfDigit, durationMs?: number): void {
    this.counters.fromRoom.info++;
    this.toMeeting('info', digit, clampDtmfDuration(durationMs));
  }

  stats(): CallDtmfRelayStats {
    const c = structuredClone(this.counters);
    return { ...c, fromRoom: { ...c.fromRoom, merged: this.merger.merged }, rfc4733: this.deps.media.dtmfStats() };
  }

  close(): void {
    this.closed = true;
    for (const d of this.detach.splice(0)) d();
  }

  private toMeeting(source: 'rfc4733' | 'info', digit: DtmfDigit, durationMs: number, startedAt?: number): void {
    if (this.closed || !this.merger.offer(source, digit, startedAt)) return;
    this.counters.lastDigits = (this.counters.lastDigits + digit).slice(-16);
    this.deps.log.debug('dtmf from the room', { digit, durationMs, source });
    this.deps.leg.sendDtmf(digit, durationMs);
  }

  private toRoom(text: string, durationMs: number | undefined, from: string): void {
    const digit = parseDtmfDigit(text);
    if (!digit) {
      this.counters.toRoom.refused++;
      return;
    }
    this.sendToRoom(digit, durationMs, from);
  }

  /**
   * Play one key to the room: RFC 4733 when telephone-event was negotiated, else INFO
   * application/dtmf-relay (queued behind earlier INFOs). False when it could not be queued.
   */
  sendToRoom(digit: DtmfDigit, durationMs: number | undefined, from: string): boolean {
    if (this.closed) {
      this.counters.toRoom.refused++;
      return false;
    }
    this.deps.log.debug('dtmf to the room', { digit, from });
    if (this.deps.media.canSendRfc4733) {
      const ok = this.deps.media.sendDtmf(digit, durationMs);
      if (ok) this.counters.toRoom.rfc4733++;
      else this.counters.toRoom.refused++;
      return ok;
    }
    const body = dtmfRelayBody(digit, clampDtmfDuration(durationMs));
    this.infoChain = this.infoChain.then(async () => {
      if (this.closed) return;
      try {
        const status = await this.deps.sendInfo(DTMF_RELAY_CONTENT_TYPE, body);
        if (status >= 300) {
          this.counters.toRoom.refused++;
          this.deps.log.debug('dtmf INFO refused', { status });
        } else this.counters.toRoom.info++;
      } catch (err) {
        this.counters.toRoom.refused++;
        this.deps.log.debug('dtmf INFO failed', { error: (err as Error).message });
      }
    });
    return true;
  }
}

import { progressSummary } from './call-summary.ts';
import { randomInt } from 'node:crypto';
import type { DtmfDigit } from '../bridge/index.ts';
import type { Dialog, IncomingInvite } from '../sip/index.ts';
import type { CallMediaHandle, MeetingLegHandle } from './media-plane/handles.ts';
import type { CallDtmfRelay, CallDtmfRelayStats } from './call-dtmf-relay.ts';
import { playKeysToRoom, wireCallMedia } from './call-media-wiring.ts';
import { joinWithTimeout, MeetingUnavailable } from './meeting-join.ts';
import type { Logger } from './logger.ts';
import { isPictureFastUpdate, MEDIA_CONTROL_CONTENT_TYPE, pictureFastUpdateBody } from './media-control.ts';
import { answerSecureReinvite, usesSrtp, type LocalSession } from './secure-reinvite.ts';
import { negotiateOffer, OfferRejected, type CodecPolicy, type Negotiation } from './sdp/negotiate.ts';
import type { SrtpPolicy } from './sdp/sdes.ts';
import { signallingOnlyAnswer } from './signalling-only.ts';

/** Why and how a call ended: one record per call, for logs, metrics and CDRs. */
export interface CallEnd {
  by: 'room' | 'meeting' | 'gateway';
  reason: string;
  /** The SIP final status when the call never got answered. */
  status?: number;
}

export interface CallSummary {
  callId: string;
  roomId: string;
  caller: string;
  state: CallState;
  startedAt: number;
  answeredAt?: number;
  /** Keyframe requests bridged, per direction. */
  keyframes: { fromRoom: number; toRoom: number };
  /** Calls placed by the gateway (dial-out) say so; inbound calls leave it out. */
  direction?: 'inbound' | 'outbound';
  /** The trunk the call runs through, when it belongs to one. */
  trunk?: string;
  /** Signalling protocol of the room's call; SIP calls leave it out. */
  protocol?: 'h323';
  media?: ReturnType<CallMediaHandle['stats']>;
  meeting?: ReturnType<MeetingLegHandle['stats']>;
  dtmf?: CallDtmfRelayStats;
}

export type CallState = 'joining' | 'active' | 'ended';

/** What an inbound call needs from the gateway around it. */
export interface InboundCallDeps {
  invite: IncomingInvite;
  roomId: string;
  codecs: CodecPolicy;
  /** SDES policy of the trunk the call came in on, or the global default (sdp/sdes.ts). */
  srtp: SrtpPolicy;
  mediaAddress: { bind: string; advertised: string };
  createMedia: (opts: { bindAddress: string; logger: Logger }) => Promise<CallMediaHandle>;
  joinMeeting: (opts: { roomId: string; displayName: string; video: boolean; logger: Logger }) => Promise<MeetingLegHandle>;
  joinTimeoutMs: number;
  logger: Logger;
  /** The trunk the call came in through (source allow-list match), for summaries. */
  trunk?: string;
  /** Answer at the signalling layer only: inactive SDP, no RTP port, no meeting. Default false. */
  signallingOnly?: boolean;
  onEnded: (call: InboundCall, end: CallEnd) => void;
}

/**
 * One call from a room terminal into a meeting: the call lifecycle tier. Signalling lives in the
 * SIP dialog, media in CallMedia and the meeting leg; every end goes through `closeWith`.
 */
export class InboundCall {
  readonly callId: string;
  private state: CallState = 'joining';
  private readonly startedAt = Date.now();
  private answeredAt?: number;
  private media?: CallMediaHandle;
  private leg?: MeetingLegHandle;
  private dialog?: Dialog;
  private dtmf?: CallDtmfRelay;
  private cancelled = false;
  private keyframesFromRoom = 0;
  /** Settles when our BYE got its final response (or failed); lets shutdown wait for it. */
  byeSent: Promise<void> = Promise.resolve();
  private keyframesToRoom = 0;
  /** Our answer and what it agreed, for re-INVITEs (RFC 3264 8: same o= session id, version + 1). */
  private session?: LocalSession;
  private readonly log: Logger;

  constructor(private readonly deps: InboundCallDeps) {
    this.callId = deps.invite.callId;
    this.log = deps.logger.child({ callId: this.callId, roomId: deps.roomId });
  }

  summary(): CallSummary {
    return {
      callId: this.callId,
      roomId: this.deps.roomId,
      caller: this.deps.invite.fromUri,
      ...(this.deps.trunk ? { trunk: this.deps.trunk } : {}),
      state: this.state,
      startedAt: this.startedAt,
      ...progressSummary({ answeredAt: this.answeredAt, keyframesFromRoom: this.keyframesFromRoom, keyframesToRoom: this.keyframesToRoom, media: this.media, leg: this.leg, dtmf: this.dtmf }),
    };
  }

  /** Answers the INVITE once the meeting leg is up, or refuses it with the right status. */
  async run(): Promise<void> {
    const { invite } = this.deps;
    invite.on('cancel', () => {
      this.cancelled = true;
      this.closeWith({ by: 'room', reason: 'cancelled before answer', status: 487 });
    });
    if (!invite.offerSdp) {
      // DEVIATION(RFC 3261 13.2.1): delayed offer (INVITE without SDP) is completed in issue #3.
      this.refuse(488, 'An SDP offer is required', 304);
      return;
    }
    let negotiation;
    try {
      negotiation = negotiateOffer(invite.offerSdp, this.deps.codecs, this.deps.srtp);
    } catch (err) {
      if (!(err instanceof OfferRejected)) throw err;
      this.refuse(err.status, err.message, err.warnCode);
      return;
    }
    if (this.deps.signallingOnly) return this.answerSignallingOnly(negotiation);
    try {
      this.media = await this.deps.createMedia({
        bindAddress: this.deps.mediaAddress.bind,
        logger: this.log,
      });
      if (this.isOver()) return this.releaseResources();
      this.leg = await this.joinWithTimeout(negotiation.negotiated.video !== undefined);
      if (this.isOver()) return this.releaseResources();
    } catch (err) {
      const status = err instanceof MeetingUnavailable ? err.status : 500;
      this.log.warn('cannot join meeting', { error: (err as Error).message, status });
      this.refuse(status, status === 404 ? 'No such meeting' : status >= 500 ? 'Meeting unavailable' : 'Meeting not reachable');
      return;
    }
    const media = this.media;
    const leg = this.leg;
    media.setRemote(negotiation.negotiated);
    media.attachCloud(leg);
    this.dtmf = wireCallMedia(media, leg, {
      log: this.log,
      end: (by, reason) => this.closeWith({ by, reason }),
      requestRoomKeyframe: () => this.sendPictureFastUpdate(),
      sendInfo: (type, body) => this.sendInfo(type, body),
    });

    const sessionId = String(randomInt(1, 2 ** 47));
    const answer = negotiation.answer({
      address: this.deps.mediaAddress.advertised,
      audioPort: media.audioPort,
      videoPort: media.videoPort,
      sessionId,
      sessionVersion: 1,
    });
    this.session = { sdp: answer, id: sessionId, version: 1, negotiated: negotiation.negotiated };
    try {
      this.dialog = await invite.accept({ sdp: answer });
    } catch (err) {
      this.closeWith({ by: 'gateway', reason: `no ACK for 200 OK: ${(err as Error).message}` });
      return;
    }
    if (this.isOver()) {
      void this.dialog.bye().catch(() => undefined);
      return;
    }
    this.state = 'active';
    this.answeredAt = Date.now();
    this.log.info('call answered', { caller: invite.fromUri, audio: negotiation.negotiated.audio?.codec, video: !!negotiation.negotiated.video,
      ...(negotiation.negotiated.audio?.srtp ? { srtp: negotiation.negotiated.audio.srtp.suite } : {}) });
    this.wireDialog(this.dialog);
  }

  /** Dial plan `{ answer: signalling-only }`: the dialog without media or meeting (health probe, bench). */
  private async answerSignallingOnly(negotiation: Negotiation): Promise<void> {
    try {
      this.dialog = await this.deps.invite.accept({ sdp: signallingOnlyAnswer(negotiation, this.deps.mediaAddress.advertised) });
    } catch (err) {
      this.closeWith({ by: 'gateway', reason: `no ACK for 200 OK: ${(err as Error).message}` });
      return;
    }
    if (this.isOver()) {
      void this.dialog.bye().catch(() => undefined);
      return;
    }
    this.state = 'active';
    this.answeredAt = Date.now();
    this.log.info('call answered, signalling only', { caller: this.deps.invite.fromUri, audio: negotiation.negotiated.audio?.codec });
    this.wireDialog(this.dialog);
  }

  private wireDialog(dialog: Dialog): void {
    dialog.on('terminated', (why) => {
      this.closeWith({ by: why.by === 'remote' ? 'room' : 'gateway', reason: why.reason ?? `dialog ended (${why.by})` });
    });
    if (this.session && usesSrtp(this.session.negotiated)) {
      dialog.on('reinvite', (offer, respond) => this.onSecureReinvite(offer, respond));
    }
    dialog.on('info', (req, respond) => {
      const contentType = req.headers.get('content-type');
      if (isPictureFastUpdate(contentType, req.bodyText ?? '')) {
        this.keyframesFromRoom++;
        this.log.debug('picture fast update from the room');
        this.media?.onRoomKeyframeRequest();
        respond(200);
        return;
      }
      const dtmfStatus = this.dtmf?.onInfo(contentType, req.bodyText ?? '');
      if (dtmfStatus !== undefined) return respond(dtmfStatus);
      // RFC 6086 4.2.2 / RFC 3261 21.4.13: legacy INFO with a body we do not understand.
      respond(415);
    });
  }

  /** A re-INVITE on an SRTP call: keys kept or renewed as RFC 4568 7.1.4 says (secure-reinvite.ts). */
  private onSecureReinvite(offer: string | undefined, respond: (status: number, sdp?: string) => void): void {
    if (!this.session || !this.media) {
      respond(200, this.session?.sdp);
      return;
    }
    this.session = answerSecureReinvite({
      offer, respond, session: this.session, media: this.media, codecs: this.deps.codecs, srtp: this.deps.srtp,
      address: this.deps.mediaAddress.advertised, log: this.log,
    }) ?? this.session;
  }

  private joinWithTimeout(video: boolean): Promise<MeetingLegHandle> {
    const { invite, roomId } = this.deps;
    const displayName = invite.fromDisplayName || userOf(invite.fromUri) || 'Room';
    return joinWithTimeout(this.deps.joinMeeting({ roomId, displayName, video, logger: this.log }), this.deps.joinTimeoutMs);
  }

  private sendPictureFastUpdate(): void {
    if (this.state !== 'active' || !this.dialog) return;
    this.keyframesToRoom++;
    this.dialog.info(MEDIA_CONTROL_CONTENT_TYPE, pictureFastUpdateBody()).then(
      (status) => {
        if (status >= 300) this.log.debug('picture_fast_update INFO refused', { status });
      },
      (err: Error) => this.log.debug('picture_fast_update INFO failed', { error: err.message }),
    );
  }

  /** Play keys to the room (admin API); false when the call is not active. */
  sendDtmf(digits: DtmfDigit[], durationMs?: number): boolean {
    return playKeysToRoom(this.dtmf, this.state === 'active', digits, durationMs);
  }

  /** An INFO toward the room (DTMF when it has no telephone-event). */
  private sendInfo(contentType: string, body: string): Promise<number> {
    if (this.state !== 'active' || !this.dialog) return Promise.reject(new Error('call not active'));
    return this.dialog.info(contentType, body);
  }

  private refuse(status: number, reason: string, warnCode?: number): void {
    if (this.isOver()) return;
    const headers: Record<string, string> = {};
    // RFC 3261 20.43: Warning: warn-code SP warn-agent SP warn-text
    if (warnCode) headers['Warning'] = `${warnCode} roomgate "${reason.replace(/"/g, "'")}"`;
    if (status === 503) headers['Retry-After'] = '30';
    this.deps.invite.reject(status, status === 488 ? 'Not Acceptable Here' : undefined, headers);
    this.closeWith({ by: 'gateway', reason, status });
  }

  private isOver(): boolean {
    return this.state === 'ended' || this.cancelled;
  }

  /** The single end of every call: idempotent; frees media, the meeting leg and the dialog. */
  closeWith(end: CallEnd): void {
    if (this.state === 'ended') return;
    const wasActive = this.state === 'active';
    this.state = 'ended';
    if (wasActive && end.by !== 'room' && this.dialog) {
      this.byeSent = this.dialog.bye().catch((err: Error) => void this.log.debug('BYE failed', { error: err.message }));
    }
    this.releaseResources();
    const durationMs = this.answeredAt ? Date.now() - this.answeredAt : 0;
    this.log.info('call ended', { by: end.by, reason: end.reason, status: end.status, durationMs });
    this.deps.onEnded(this, end);
  }

  private releaseResources(): void {
    this.dtmf?.close();
    this.media?.close();
    if (this.leg) void this.leg.leave().catch(() => undefined);
  }
}

function userOf(uri: string): string | undefined {
  return /^sips?:([^@;>]+)@/i.exec(uri.replace(/^<|>$/g, ''))?.[1];
}

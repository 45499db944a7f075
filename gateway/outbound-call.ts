import { progressSummary } from './call-summary.ts';
import { randomInt, randomUUID } from 'node:crypto';
import type { DtmfDigit, NegotiatedMedia } from '../bridge/index.ts';
import { SipFailure, type AnsweredDialog, type CredentialProvider, type Dialog, type OutgoingInvite, type OutgoingInviteOptions } from '../sip/index.ts';
import type { CallMediaHandle, MeetingLegHandle } from './media-plane/handles.ts';
import type { CallEnd, CallState, CallSummary } from './inbound-call.ts';
import type { Logger } from './logger.ts';
import type { CallDtmfRelay } from './call-dtmf-relay.ts';
import { playKeysToRoom, wireCallMedia } from './call-media-wiring.ts';
import { isPictureFastUpdate, MEDIA_CONTROL_CONTENT_TYPE, pictureFastUpdateBody } from './media-control.ts';
import { joinWithTimeout } from './meeting-join.ts';
import type { CodecPolicy } from './sdp/negotiate.ts';
import { AnswerRejected, buildOffer, parseAnswer } from './sdp/offer.ts';
import type { SrtpSuiteName } from '../rtp/index.ts';
import { newOfferSecurity, type OfferSecurity, type SrtpPolicy } from './sdp/sdes.ts';
import { answerSecureReinvite, usesSrtp, type LocalSession } from './secure-reinvite.ts';
import type { TrunkState } from './trunks/trunk-set.ts';

/** One INVITE attempt through one trunk, as reported in the outcome. */
export interface DialAttempt {
  /** The trunk's name, or REGISTERED_TARGET for a registered terminal's contact. */
  trunk: string;
  /** The Contact dialled directly (registered terminals only). */
  contact?: string;
  /** SIP final status (or the status the gateway mapped a local failure to). */
  status: number;
  reason: string;
  sipCallId?: string;
}

/** What `POST /api/calls` and `roomgate dial` report. */
export interface DialOutcome {
  status: 'answered' | 'failed';
  callId: string;
  /** The trunk that answered (answered calls only; REGISTERED_TARGET for a registered terminal). */
  trunk?: string;
  /** The registered Contact that answered (registered terminals only). */
  contact?: string;
  /** Final SIP status of the last attempt (200 when answered). */
  sipStatus: number;
  reason: string;
  attempts: DialAttempt[];
  /** H.323 dial-out: the protocol, and the Q.850 cause of the ReleaseComplete that ended it. */
  protocol?: 'h323';
  cause?: number;
}

/** What an outbound call needs from the gateway around it. */
export interface OutboundCallDeps {
  roomId: string;
  /** The callee as requested, e.g. sip:room1@10.1.1.5 (To header). */
  to: string;
  /** The dialled user part after the dial plan's rewrite (Request-URI user). */
  number: string;
  /** Trunks to try, in failover order (empty when `registered` is set). */
  trunks: TrunkState[];
  /**
   * Dial a terminal registered with our registrar at its bound Contact, without a trunk (RFC 3261
   * 16.5: the Request-URI becomes the binding's Contact; To keeps the AOR).
   */
  registered?: { aor: string; contact: string; codecs: CodecPolicy; fromUser: string; srtp?: SrtpPolicy };
  acquire: (trunk: TrunkState) => boolean;
  release: (trunk: TrunkState) => void;
  invite: (opts: OutgoingInviteOptions) => OutgoingInvite;
  advertisedSipHost: string;
  mediaAddress: { bind: string; advertised: string };
  createMedia: (opts: { bindAddress: string; logger: Logger; video: boolean }) => Promise<CallMediaHandle>;
  joinMeeting: (opts: { roomId: string; displayName: string; video: boolean; logger: Logger }) => Promise<MeetingLegHandle>;
  joinTimeoutMs: number;
  logger: Logger;
  onEnded: (call: OutboundCall, end: CallEnd) => void;
}

/** RFC 3261 22.2: the trunk's credentials, offered only to its realm when one is configured. */
function credentialsFor(creds: { username: string; password: string; realm?: string }): CredentialProvider {
  return (realm) => (creds.realm === undefined || creds.realm === realm ? { username: creds.username, password: creds.password } : undefined);
}

/** Attempt label of a registered terminal's contact (in place of a trunk name). */
export const REGISTERED_TARGET = 'registrar';

/** One place an INVITE goes: a trunk's peer or a registered contact. */
interface Leg {
  /** Trunk name or REGISTERED_TARGET. */
  label: string;
  requestUri: string;
  policy: CodecPolicy;
  /** SDES policy of our offer (the trunk's `outbound.srtp`). Default off. */
  srtp?: SrtpPolicy;
  /** Crypto suites offered, preferred first (the trunk's `outbound.srtpSuites`). Default all. */
  srtpSuites?: readonly SrtpSuiteName[];
  fromUser: string;
  credentials?: CredentialProvider;
  contact?: string;
}

/** RFC 3261 8.1.3.1 / 21.5: outcomes after which the next trunk is worth trying. */
function failsOver(status: number): boolean {
  return status >= 500 || status === 408;
}

/**
 * A call the gateway places toward a room through a trunk (dial-out): the call lifecycle tier,
 * mirroring InboundCall. Joins the meeting, then INVITEs through each trunk in turn until one
 * answers; every end goes through `closeWith`.
 */
export class OutboundCall {
  readonly callId = randomUUID();
  private state: CallState = 'joining';
  private readonly startedAt = Date.now();
  private answeredAt?: number;
  private media?: CallMediaHandle;
  private leg?: MeetingLegHandle;
  private dialog?: Dialog;
  private dtmf?: CallDtmfRelay;
  private pending?: OutgoingInvite;
  private heldTrunk?: TrunkState;
  /** The crypto attributes of the offer in flight, to read its answer (RFC 4568 7.1.3). */
  private offerSecurity?: OfferSecurity;
  /** Our SDP toward the room and what the answer agreed: the base of re-INVITE answers. */
  private session?: LocalSession;
  private answeredTrunk?: string;
  private answeredContact?: string;
  private keyframesFromRoom = 0;
  private keyframesToRoom = 0;
  private readonly attempts: DialAttempt[] = [];
  private endedWith?: CallEnd;
  private readonly log: Logger;
  /** Settles when our BYE got its final response (or failed); lets shutdown wait for it. */
  byeSent: Promise<void> = Promise.resolve();

  constructor(private readonly deps: OutboundCallDeps) {
    this.log = deps.logger.child({ callId: this.callId, roomId: deps.roomId, direction: 'outbound' });
  }

  summary(): CallSummary {
    return {
      callId: this.callId,
      roomId: this.deps.roomId,
      caller: this.deps.to,
      direction: 'outbound',
      ...(this.answeredTrunk ?? this.heldTrunk ? { trunk: this.answeredTrunk ?? this.heldTrunk!.config.name } : {}),
      state: this.state,
      startedAt: this.startedAt,
      ...progressSummary({ answeredAt: this.answeredAt, keyframesFromRoom: this.keyframesFromRoom, keyframesToRoom: this.keyframesToRoom, media: this.media, leg: this.leg, dtmf: this.dtmf }),
    };
  }

  /** Places the call; resolves with the outcome once answered or finally failed. */
  async run(): Promise<DialOutcome> {
    const registered = this.deps.registered;
    const video = registered ? registered.codecs.video.includes('H264') : this.deps.trunks.some((t) => t.config.outbound!.codecs.video.includes('H264'));
    try {
      this.media = await this.deps.createMedia({ bindAddress: this.deps.mediaAddress.bind, logger: this.log, video });
      if (this.isOver()) return this.releaseLateResources();
      const displayName = this.deps.number;
      this.leg = await joinWithTimeout(this.deps.joinMeeting({ roomId: this.deps.roomId, displayName, video, logger: this.log }), this.deps.joinTimeoutMs);
      if (this.isOver()) return this.releaseLateResources();
    } catch (err) {
      this.log.warn('dial-out: cannot join meeting', { error: (err as Error).message });
      this.closeWith({ by: 'gateway', reason: `meeting unavailable: ${(err as Error).message}`, status: 503 });
      return this.outcome();
    }
    this.dtmf = wireCallMedia(this.media, this.leg, {
      log: this.log,
      end: (by, reason) => this.closeWith({ by, reason }),
      requestRoomKeyframe: () => this.sendPictureFastUpdate(),
      sendInfo: (type, body) => this.sendInfo(type, body),
    });
    if (registered && !this.isOver()) {
      const leg: Leg = { label: REGISTERED_TARGET, requestUri: registered.contact, policy: registered.codecs, fromUser: registered.fromUser, contact: registered.contact,
        ...(registered.srtp ? { srtp: registered.srtp } : {}) };
      if (await this.invite(leg)) return this.outcome();
    }
    for (const trunk of registered ? [] : this.deps.trunks) {
      if (this.isOver()) break;
      const answered = await this.attempt(trunk);
      if (answered) return this.outcome();
      const last = this.attempts[this.attempts.length - 1];
      if (last && !failsOver(last.status)) break;
    }
    const last = this.attempts[this.attempts.length - 1];
    this.closeWith({ by: 'gateway', reason: last ? `${last.status} ${last.reason}` : 'no trunk to try', status: last?.status ?? 503 });
    return this.outcome();
  }

  /** One INVITE through `trunk`; true when answered (the call is then active). */
  private async attempt(trunk: TrunkState): Promise<boolean> {
    const name = trunk.config.name;
    if (trunk.reachability === 'down') return this.record({ trunk: name, status: 503, reason: 'trunk down (OPTIONS keepalive)' });
    if (!this.deps.acquire(trunk)) return this.record({ trunk: name, status: 503, reason: 'trunk at its concurrent call limit' });
    this.heldTrunk = trunk;
    const out = trunk.config.outbound!;
    return this.invite({ label: name, requestUri: this.requestUri(trunk), policy: out.codecs, srtp: out.srtp,
      ...(out.srtpSuites ? { srtpSuites: out.srtpSuites } : {}), fromUser: out.fromUser,
      ...(out.credentials ? { credentials: credentialsFor(out.credentials) } : {}) });
  }

  /** One INVITE along `leg` (a trunk already acquired, or a registered contact); true when answered. */
  private async invite(leg: Leg): Promise<boolean> {
    const name = leg.label;
    const policy = leg.policy;
    const invite = this.deps.invite(this.inviteOptions(leg));
    this.pending = invite;
    this.log.info('dial-out: INVITE', { trunk: name, sipCallId: invite.callId, requestUri: leg.requestUri });
    invite.on('provisional', (status, sdp) => {
      // RFC 3261 13.2.1 / RFC 3960: early media (183 with SDP) is played as soon as it arrives.
      if (sdp && !this.isOver()) this.applyRemote(sdp, policy, 'early media');
      this.log.debug('dial-out: provisional response', { trunk: name, status, earlyMedia: !!sdp });
    });
    let dialog: AnsweredDialog;
    try {
      dialog = await invite.result;
    } catch (err) {
      this.pending = undefined;
      this.releaseTrunk();
      const failure = err instanceof SipFailure ? err : new SipFailure(500, (err as Error).message);
      // A 401/407 was already answered once by the stack with the trunk's credentials (RFC 3261 22.2).
      return this.record({ trunk: name, status: failure.status, reason: failure.reason, sipCallId: invite.callId, ...(leg.contact ? { contact: leg.contact } : {}) });
    }
    this.pending = undefined;
    return this.answered(leg, dialog, invite.callId);
  }

  private answered(leg: Leg, dialog: AnsweredDialog, sipCallId: string): boolean {
    this.dialog = dialog;
    if (this.isOver()) {
      void dialog.bye().catch(() => undefined);
      return false;
    }
    const sdp = dialog.answerSdp ?? dialog.remoteSdp;
    const contact = leg.contact ? { contact: leg.contact } : {};
    if (!sdp || !this.applyRemote(sdp, leg.policy, 'answer')) {
      // RFC 3261 13.2.1: an unusable answer: the UAC ACKs and immediately ends the session.
      this.record({ trunk: leg.label, status: 488, reason: 'unusable SDP answer', sipCallId, ...contact });
      this.state = 'active';
      this.closeWith({ by: 'gateway', reason: 'unusable SDP answer', status: 488 });
      return false;
    }
    this.media!.attachCloud(this.leg!);
    this.state = 'active';
    this.answeredAt = Date.now();
    this.answeredTrunk = leg.label;
    this.answeredContact = leg.contact;
    this.record({ trunk: leg.label, status: 200, reason: 'OK', sipCallId, ...contact });
    this.log.info('dial-out: call answered', { trunk: leg.label, sipCallId, to: this.deps.to, ...contact });
    this.wireDialog(dialog, leg);
    return true;
  }

  /** Sets the room side of the media from an SDP answer (early or final); false if unusable. */
  private applyRemote(sdp: string, policy: CodecPolicy, what: string): boolean {
    let negotiated: NegotiatedMedia;
    try {
      negotiated = parseAnswer(sdp, policy, this.offerSecurity);
    } catch (err) {
      if (!(err instanceof AnswerRejected)) throw err;
      this.log.warn('dial-out: SDP answer rejected', { what, error: err.message });
      return false;
    }
    this.media?.setRemote(negotiated);
    if (this.session) this.session.negotiated = negotiated;
    if (what === 'early media' && this.leg) this.media?.attachCloud(this.leg);
    return true;
  }

  private inviteOptions(leg: Leg): OutgoingInviteOptions {
    this.offerSecurity = newOfferSecurity(leg.srtp ?? 'off', leg.srtpSuites); // fresh keys per INVITE (RFC 4568 6.1)
    const sessionId = String(randomInt(1, 2 ** 47));
    const sdp = buildOffer(leg.policy, {
      address: this.deps.mediaAddress.advertised,
      audioPort: this.media!.audioPort,
      videoPort: this.media!.videoPort,
      sessionId,
      sessionVersion: 1,
    }, this.offerSecurity);
    this.session = { sdp, id: sessionId, version: 1, negotiated: { address: '' } };
    return {
      requestUri: leg.requestUri,
      toUri: this.deps.registered?.aor ?? this.deps.to,
      fromUri: `sip:${leg.fromUser}@${this.deps.advertisedSipHost}`,
      fromDisplayName: `roomgate ${this.deps.roomId}`,
      sdp,
      ...(leg.credentials ? { credentials: leg.credentials } : {}),
    };
  }

  /**
   * DEVIATION(RFC 3261 8.1.2): the stack sends to the Request-URI's host (no outbound proxy Route
   * yet), so the trunk's address goes in the Request-URI and the requested callee in To.
   */
  private requestUri(trunk: TrunkState): string {
    const out = trunk.config.outbound!;
    const user = encodeURIComponent(this.deps.number).replace(/%2B/g, '+');
    return `sip:${user}@${out.host}:${out.port}${out.transport === 'udp' ? '' : `;transport=${out.transport}`}`;
  }

  private wireDialog(dialog: Dialog, leg: Leg): void {
    dialog.on('terminated', (why) => {
      this.closeWith({ by: why.by === 'remote' ? 'room' : 'gateway', reason: why.reason ?? `dialog ended (${why.by})` });
    });
    if (this.session && usesSrtp(this.session.negotiated)) {
      // RFC 4568 7.1.4: a re-offer from the room on an SRTP call (plain calls keep the dialog's default)
      dialog.on('reinvite', (offer, respond) => {
        if (!this.session || !this.media) return respond(200, this.session?.sdp);
        this.session = answerSecureReinvite({
          offer, respond, session: this.session, media: this.media, codecs: leg.policy, srtp: leg.srtp ?? 'off',
          address: this.deps.mediaAddress.advertised, log: this.log,
        }) ?? this.session;
      });
    }
    dialog.on('info', (req, respond) => {
      if (isPictureFastUpdate(req.headers.get('content-type'), req.bodyText ?? '')) {
        this.keyframesFromRoom++;
        this.media?.onRoomKeyframeRequest();
        respond(200);
        return;
      }
      const dtmfStatus = this.dtmf?.onInfo(req.headers.get('content-type'), req.bodyText ?? '');
      if (dtmfStatus !== undefined) return respond(dtmfStatus);
      respond(415); // RFC 6086 4.2.2
    });
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

  private sendPictureFastUpdate(): void {
    if (this.state !== 'active' || !this.dialog) return;
    this.keyframesToRoom++;
    this.dialog.info(MEDIA_CONTROL_CONTENT_TYPE, pictureFastUpdateBody()).catch((err: Error) =>
      this.log.debug('picture_fast_update INFO failed', { error: err.message }),
    );
  }

  private record(attempt: DialAttempt): false {
    this.attempts.push(attempt);
    if (attempt.status !== 200) this.log.info('dial-out: attempt failed', { ...attempt });
    return false;
  }

  private outcome(): DialOutcome {
    const last = this.attempts[this.attempts.length - 1];
    if (this.answeredTrunk && this.state === 'active') {
      return { status: 'answered', callId: this.callId, trunk: this.answeredTrunk, ...(this.answeredContact ? { contact: this.answeredContact } : {}),
        sipStatus: 200, reason: 'answered', attempts: this.attempts };
    }
    const end = this.endedWith;
    return {
      status: 'failed',
      callId: this.callId,
      sipStatus: end?.status ?? last?.status ?? 500,
      reason: end?.reason ?? (last ? `${last.status} ${last.reason}` : 'failed'),
      attempts: this.attempts,
    };
  }

  /** Hung up while media or the meeting leg were being set up: free what arrived after closeWith. */
  private releaseLateResources(): DialOutcome {
    this.media?.close();
    if (this.leg) void this.leg.leave().catch(() => undefined);
    return this.outcome();
  }

  private isOver(): boolean {
    return this.state === 'ended';
  }

  private releaseTrunk(): void {
    if (this.heldTrunk) this.deps.release(this.heldTrunk);
    this.heldTrunk = undefined;
  }

  /** The single end of every outbound call: idempotent; cancels, BYEs and frees everything. */
  closeWith(end: CallEnd): void {
    if (this.state === 'ended') return;
    const wasActive = this.state === 'active';
    this.state = 'ended';
    this.endedWith = end;
    this.dtmf?.close();
    this.pending?.cancel(); // RFC 3261 9.1
    if (wasActive && end.by !== 'room' && this.dialog) {
      this.byeSent = this.dialog.bye().catch((err: Error) => void this.log.debug('BYE failed', { error: err.message }));
    }
    this.releaseTrunk();
    this.media?.close();
    if (this.leg) void this.leg.leave().catch(() => undefined);
    const durationMs = this.answeredAt ? Date.now() - this.answeredAt : 0;
    this.log.info('call ended', { by: end.by, reason: end.reason, status: end.status, durationMs, trunk: this.answeredTrunk });
    this.deps.onEnded(this, end);
  }
}

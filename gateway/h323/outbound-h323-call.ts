// One H.323 call the gateway places toward a room (dial-out, issue #5): the H.323 counterpart of
// OutboundCall. Media first (CallMedia with the meeting's shared mix), the meeting leg, then Setup
// with fastStart proposals (H.323 8.1.7: per audio codec we carry, a gateway→room and a
// room→gateway OpenLogicalChannel, in our order of preference) and H.245 tunnelling offered
// (H.323 8.2.1). The room's accepted channels give its RTP address (CallMedia.setRemote). An
// H.245 session runs on the tunnel for DTMF (userInputIndication) and videoFastUpdatePicture.
// Every end goes through `closeWith`.
import { progressSummary } from '../call-summary.ts';
import type { DtmfDigit } from '../../bridge/index.ts';
import { parseDtmfDigit } from '../../bridge/index.ts';
import type { Alias, MediaCapability } from '../../h323/asn1/index.ts';
import { H323CallFailure, placeCall, type CallEnd as H225CallEnd, type OutgoingH323Call, type PlaceCallOptions } from '../../h323/h225/index.ts';
import { H245Session, type RemoteCapabilities, type UserInput } from '../../h323/h245/index.ts';
import type { CallDtmfRelay } from '../call-dtmf-relay.ts';
import { playKeysToRoom, wireCallMedia } from '../call-media-wiring.ts';
import type { CallMediaHandle, MeetingLegHandle } from '../media-plane/handles.ts';
import { parseDtmfInfo } from '../dtmf-info.ts';
import type { CallEnd, CallState, CallSummary } from '../inbound-call.ts';
import type { Logger } from '../logger.ts';
import { joinWithTimeout } from '../meeting-join.ts';
import { GATEWAY_H264, gatewayCapabilities, negotiatedMedia, rtcpOf } from './h323-media.ts';
import { closeOwnChannels } from './phase-e.ts';
import { proposeFastStart, readFastStartChannel, type FastStartChannel } from './olc.ts';

/** What `dialOut` reports (the H.323 fields of DialOutcome). */
export interface H323DialResult {
  status: 'answered' | 'failed';
  callId: string;
  /** Q.850 cause of the ReleaseComplete that ended an unanswered call. */
  cause?: number;
  /** H.225.0 ReleaseCompleteReason, or our own reason text. */
  reason: string;
}

export interface OutboundH323CallDeps {
  roomId: string;
  /** What was dialled, as the admin API got it (h323:alias@host:port). */
  to: string;
  /** The room's call signalling address (direct, or the gatekeeper's ACF destCallSignalAddress). */
  address: { host: string; port: number };
  /** The room's alias (Setup destinationAddress): digits → dialledDigits, else h323-ID. */
  alias?: string;
  mediaAddress: { bind: string; advertised: string };
  createMedia: (opts: { bindAddress: string; logger: Logger; video?: boolean }) => Promise<CallMediaHandle>;
  joinMeeting: (opts: { roomId: string; displayName: string; video: boolean; logger: Logger }) => Promise<MeetingLegHandle>;
  joinTimeoutMs: number;
  logger: Logger;
  /** Propose H.264 (H.241 baseline) too and join the meeting with video. */
  video?: boolean;
  /** callIdentifier etc. already used in the gatekeeper's ARQ (H.225.0 7.11). */
  identity?: PlaceCallOptions['identity'];
  /** Test seam / options for placeCall (timers). */
  callOptions?: Partial<Pick<PlaceCallOptions, 'timers' | 'clock'>>;
  onEnded: (call: OutboundH323Call, end: CallEnd) => void;
}

/** Audio codecs proposed, preferred first (H.245 AudioCapability; CallMedia runs one codec both ways). */
const PROPOSED_AUDIO: MediaCapability[] = [
  { codec: 'g711Ulaw64k', framesPerPacket: 20 },
  { codec: 'g711Alaw64k', framesPerPacket: 20 },
  { codec: 'g722-64k', framesPerPacket: 20 },
];

/** What we dial as Setup destinationAddress / ARQ destinationInfo: digits → dialledDigits, else h323-ID. */
export function aliasesFor(alias: string): Alias[] {
  return /^[0-9#*,]+$/.test(alias) ? [{ dialledDigits: alias }] : [{ h323Id: alias }];
}

/** Q.850 causes we send (Q.850 Table 1). */
const CAUSE = { normal: 16, temporaryFailure: 41, incompatible: 88 } as const;

export class OutboundH323Call {
  readonly callId: string;
  private state: CallState = 'joining';
  private readonly startedAt = Date.now();
  private answeredAt?: number;
  private media?: CallMediaHandle;
  private leg?: MeetingLegHandle;
  private dtmf?: CallDtmfRelay;
  private call?: OutgoingH323Call;
  private session?: H245Session;
  private mediaSet = false;
  /** fastStart refused: media through H.245 channels (audio only). */
  private h245Path = false;
  /** H.245 path: the audio codec chosen (CallMedia runs one codec both ways). */
  private h245Audio?: string;
  /** The room's video channel toward us (its fastStart answer's channel number): the one videoFastUpdatePicture names. */
  private roomVideoChannel?: number;
  private keyframesFromRoom = 0;
  private keyframesToRoom = 0;
  private endedWith?: { end: CallEnd; cause?: number; reason?: string };
  /** Settles when the call's clearing finished (H.323 8.5 phase E); shutdown waits for it. */
  byeSent: Promise<void> = Promise.resolve();
  /** Logical channels we opened through H.245 and the room has not closed (H.323 8.5 phase E closes them). */
  private readonly ourChannels = new Set<number>();
  private readonly log: Logger;

  constructor(private readonly deps: OutboundH323CallDeps, callId: string) {
    this.callId = callId;
    this.log = deps.logger.child({ callId, roomId: deps.roomId, protocol: 'h323', direction: 'outbound' });
  }

  summary(): CallSummary {
    return {
      callId: this.callId,
      roomId: this.deps.roomId,
      caller: this.deps.to,
      direction: 'outbound',
      protocol: 'h323',
      state: this.state,
      startedAt: this.startedAt,
      ...progressSummary({ answeredAt: this.answeredAt, keyframesFromRoom: this.keyframesFromRoom, keyframesToRoom: this.keyframesToRoom, media: this.media, leg: this.leg, dtmf: this.dtmf }),
    };
  }

  /** Places the call; resolves once answered or finally failed. */
  async run(): Promise<H323DialResult> {
    try {
      this.media = await this.deps.createMedia({ bindAddress: this.deps.mediaAddress.bind, logger: this.log, video: this.deps.video === true });
      if (this.isOver()) return this.releaseLate();
      this.leg = await joinWithTimeout(this.deps.joinMeeting({ roomId: this.deps.roomId, displayName: this.deps.alias ?? this.deps.to, video: this.media.videoPort !== undefined, logger: this.log }), this.deps.joinTimeoutMs);
      if (this.isOver()) return this.releaseLate();
    } catch (err) {
      this.log.warn('h323 dial-out: cannot join meeting', { error: (err as Error).message });
      this.closeWith({ by: 'gateway', reason: `meeting unavailable: ${(err as Error).message}` }, CAUSE.temporaryFailure);
      return this.outcome();
    }
    const media = this.media;
    const leg = this.leg;
    this.dtmf = wireCallMedia(media, leg, {
      log: this.log,
      end: (by, reason) => this.closeWith({ by, reason }),
      requestRoomKeyframe: () => this.sendVideoFastUpdate(),
      sendInfo: (type, body) => this.dtmfToRoom(type, body),
    });

    const ip = this.deps.mediaAddress.advertised;
    const rtp = { ip, port: media.audioPort };
    const rtcp = { ip, port: media.audioPort + 1 };
    // olc.ts names directions from the called side: 'fromRoom' = caller → callee (here gateway → room)
    const fastStart = PROPOSED_AUDIO.flatMap((m, i) => [
      proposeFastStart({ direction: 'fromRoom', channel: 101 + 2 * i, media: m, sessionId: 1, rtp, rtcp }),
      proposeFastStart({ direction: 'toRoom', channel: 102 + 2 * i, media: m, sessionId: 1, rtp, rtcp }),
    ]);
    if (media.videoPort) {
      // H.323 8.1.7 / H.241: one H.264 pair, session 2, dynamic payload type 96
      const v = { rtp: { ip, port: media.videoPort }, rtcp: { ip, port: media.videoPort + 1 } };
      fastStart.push(
        proposeFastStart({ direction: 'fromRoom', channel: 111, media: GATEWAY_H264, sessionId: 2, payloadType: 96, ...v }),
        proposeFastStart({ direction: 'toRoom', channel: 112, media: GATEWAY_H264, sessionId: 2, payloadType: 96, ...v }),
      );
    }
    const alias = this.deps.alias;
    const calledAliases = alias === undefined ? [] : aliasesFor(alias);
    let call: OutgoingH323Call;
    try {
      call = placeCall({
        address: this.deps.address.host, port: this.deps.address.port, logger: this.log,
        calledAliases, callingAliases: [{ h323Id: 'roomgate' }], displayName: `roomgate ${this.deps.roomId}`,
        fastStart, tunnelling: true, ...this.deps.callOptions, ...(this.deps.identity ? { identity: this.deps.identity } : {}),
      });
    } catch (err) {
      this.closeWith({ by: 'gateway', reason: `bad address: ${(err as Error).message}` }, CAUSE.temporaryFailure);
      return this.outcome();
    }
    this.call = call;
    this.log.info('h323 dial-out: Setup', { to: this.deps.to, address: `${this.deps.address.host}:${this.deps.address.port}`, proposals: fastStart.length, audioPort: media.audioPort });
    call.on('fast-start', (olcs) => this.onFastStart(olcs));
    call.on('fast-start-refused', () => {
      // H.323 8.1.7.1: fastStart refused → logical channels through the (tunnelled) H.245 session
      if (this.session && !this.session.ended) {
        this.h245Path = true;
        return;
      }
      this.closeWith({ by: 'gateway', reason: 'the room refused fastStart and there is no H.245 tunnel' }, CAUSE.incompatible);
    });
    call.on('released', (end) => this.onReleased(end));
    call.on('keypad', (keys) => this.fromRoomKeys(keys, undefined));
    const tunnel = call.h245Tunnel;
    if (tunnel) this.runSession(tunnel);
    try {
      await call.waitConnected();
    } catch (err) {
      if (!(err instanceof H323CallFailure)) throw err;
      return this.outcome();
    }
    if (this.isOver()) return this.outcome();
    if (!this.mediaSet && this.h245Path) await this.h245Media();
    if (this.isOver()) return this.outcome();
    if (!this.mediaSet) {
      this.closeWith({ by: 'gateway', reason: 'Connect without a usable fastStart answer' }, CAUSE.incompatible);
      return this.outcome();
    }
    media.attachCloud(leg);
    this.state = 'active';
    this.answeredAt = Date.now();
    this.log.info('h323 dial-out: call answered', { to: this.deps.to, tunnelling: call.tunnelling });
    return this.outcome();
  }

  /**
   * H.323 8.1.7.1: the room accepted one gateway→room proposal (its forward parameters now carry
   * the room's RTP address) and one room→gateway proposal; both must be the same codec.
   */
  private onFastStart(olcs: Uint8Array[]): void {
    const all = olcs.map((b, i) => readFastStartChannel(b, i)).filter((c): c is FastStartChannel => c !== undefined);
    const accepted = all.filter((c) => c.kind === 'audio');
    const videoToRoom = this.media?.videoPort ? all.find((c) => c.kind === 'video' && c.direction === 'fromRoom' && c.mediaChannel && c.media.codec === 'h264') : undefined;
    const videoFromRoom = all.find((c) => c.kind === 'video' && c.direction === 'toRoom');
    if (videoFromRoom) this.roomVideoChannel = videoFromRoom.channel;
    const toRoom = accepted.find((c) => c.direction === 'fromRoom' && c.mediaChannel);
    const fromRoom = accepted.find((c) => c.direction === 'toRoom');
    if (!toRoom || (fromRoom && fromRoom.media.codec !== toRoom.media.codec)) {
      this.log.warn('h323 dial-out: unusable fastStart answer', { accepted: accepted.map((c) => `${c.direction}:${c.media.codec}`) });
      this.closeWith({ by: 'gateway', reason: 'unusable fastStart answer' }, CAUSE.incompatible);
      return;
    }
    const desc = negotiatedMedia({ media: toRoom.media, rtp: toRoom.mediaChannel!, ...rtcpOf(toRoom) },
      videoToRoom ? { media: videoToRoom.media, rtp: videoToRoom.mediaChannel!, ...rtcpOf(videoToRoom), payloadType: videoToRoom.payloadType ?? 96 } : undefined);
    this.log.info('h323 media', { address: desc.address, audio: desc.audio?.codec, audioPort: desc.audio?.port, video: desc.video?.codec, videoPort: desc.video?.port });
    this.media?.setRemote(desc);
    this.mediaSet = true;
  }

  private runSession(ch: NonNullable<OutgoingH323Call['h245Tunnel']>): void {
    const session = new H245Session({
      channel: ch, capabilities: gatewayCapabilities(this.media?.videoPort !== undefined), callId: this.callId, logger: this.log,
      endOnProcedureFailure: false, // fastStart media flows without H.245; the H.245 path checks what it needs
    });
    this.session = session;
    session.on('incomingChannel', (req) => {
      // fastStart media: nothing to open; H.245 path: the room's audio in the codec we send (or will send)
      const media = this.media;
      const carried = PROPOSED_AUDIO.some((m) => m.codec === req.media.codec);
      if (!this.h245Path || !media || !carried || (this.h245Audio !== undefined && this.h245Audio !== req.media.codec)) {
        req.reject('dataTypeNotSupported');
        return;
      }
      this.h245Audio = req.media.codec;
      const ip = this.deps.mediaAddress.advertised;
      req.accept({ mediaChannel: { ip, port: media.audioPort }, mediaControlChannel: { ip, port: media.audioPort + 1 } });
      this.log.info('h323 room channel accepted', { channel: req.number, codec: req.media.codec });
    });
    session.on('videoFastUpdate', () => {
      this.keyframesFromRoom++;
      this.media?.onRoomKeyframeRequest();
    });
    session.on('userInput', (ui: UserInput) => {
      if (ui.kind === 'alphanumeric') this.fromRoomKeys(ui.text, undefined);
      else if (ui.kind === 'signal') this.fromRoomKeys(ui.signal, ui.durationMs);
    });
    session.on('channelClosed', (c) => {
      if (c.direction === 'outgoing') this.ourChannels.delete(c.number);
    });
    session.on('ended', () => {
      if (this.session === session) this.session = undefined;
    });
    session.start();
  }

  /** H.245 8.4 after a refused fastStart: our audio channel toward the room with a codec from its TCS (10 s at most). */
  private async h245Media(): Promise<void> {
    const session = this.session;
    const media = this.media;
    if (!session || !media) return;
    const caps = session.remoteCapabilities ?? await new Promise<RemoteCapabilities | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 10_000);
      session.once('remoteCapabilities', (c) => { clearTimeout(timer); resolve(c); });
      session.once('ended', () => { clearTimeout(timer); resolve(undefined); });
    });
    if (!caps || this.isOver()) return;
    const receives = (codec: string) => caps.capabilities.some((c) => c.kind === 'audio' && c.direction !== 'transmit' && c.media?.codec === codec);
    const choice = PROPOSED_AUDIO.find((m) => (this.h245Audio === undefined || m.codec === this.h245Audio) && receives(m.codec));
    if (!choice) {
      this.log.warn('h323 dial-out: the room receives no audio codec we send');
      return;
    }
    this.h245Audio = choice.codec;
    const ip = this.deps.mediaAddress.advertised;
    try {
      this.ourChannels.add(101);
      const opened = await session.openChannel({ number: 101, capability: choice, sessionID: 1, mediaControlChannel: { ip, port: media.audioPort + 1 } });
      if (this.isOver() || !opened.mediaChannel) return;
      const desc = negotiatedMedia({ media: choice, rtp: opened.mediaChannel, ...rtcpOf(opened) });
      this.log.info('h323 media', { address: desc.address, audio: desc.audio?.codec, audioPort: desc.audio?.port, h245: true });
      media.setRemote(desc);
      this.mediaSet = true;
    } catch (err) {
      this.ourChannels.delete(101);
      this.log.warn('h323 dial-out: the room refused our logical channel', { error: (err as Error).message });
    }
  }

  private fromRoomKeys(keys: string, durationMs: number | undefined): void {
    for (const k of keys) {
      const digit = parseDtmfDigit(k);
      if (digit) this.dtmf?.fromRoomSignalled(digit, durationMs);
    }
  }

  private async dtmfToRoom(contentType: string, body: string): Promise<number> {
    const p = parseDtmfInfo(contentType, body);
    if (p.kind !== 'digit' || this.state !== 'active' || !this.call) return 400;
    if (this.session && !this.session.ended) this.session.sendUserInputSignal(p.value.digit, p.value.durationMs);
    else this.call.sendKeypad(p.value.digit);
    return 200;
  }

  /** A meeting keyframe request → videoFastUpdatePicture on the room's video channel (H.245 miscellaneousCommand). */
  private sendVideoFastUpdate(): void {
    if (this.state !== 'active' || !this.session || this.session.ended || this.roomVideoChannel === undefined) return;
    this.keyframesToRoom++;
    this.session.sendVideoFastUpdate(this.roomVideoChannel);
  }

  /** Play keys to the room (admin API); false when the call is not active. */
  sendDtmf(digits: DtmfDigit[], durationMs?: number): boolean {
    return playKeysToRoom(this.dtmf, this.state === 'active', digits, durationMs);
  }

  private onReleased(end: H225CallEnd): void {
    const reason = `${end.detail}${end.reason ? ` (${end.reason})` : ''}`;
    this.closeWith({ by: end.by === 'remote' ? 'room' : 'gateway', reason }, end.cause, end.reason);
  }

  private outcome(): H323DialResult {
    if (this.state === 'active') return { status: 'answered', callId: this.callId, reason: 'answered' };
    const e = this.endedWith;
    return {
      status: 'failed', callId: this.callId,
      ...(e?.cause !== undefined ? { cause: e.cause } : {}),
      reason: e?.reason ?? e?.end.reason ?? 'failed',
    };
  }

  private releaseLate(): H323DialResult {
    this.releaseResources();
    return this.outcome();
  }

  private releaseResources(): void {
    this.session?.close('call ended');
    this.stopMedia();
  }

  /** Media and the meeting leg end (phase E keeps the H.245 session a moment longer). */
  private stopMedia(): void {
    this.dtmf?.close();
    this.media?.close();
    const leg = this.leg;
    this.leg = undefined;
    if (leg) void leg.leave().catch(() => undefined);
  }

  private isOver(): boolean {
    return this.state === 'ended';
  }

  /** The single end of every outbound H.323 call: idempotent; ReleaseComplete (cause 16 unless given), H.245, media, leg. */
  closeWith(end: CallEnd, cause: number = CAUSE.normal, releaseReason?: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endedWith = { end, cause, ...(releaseReason ? { reason: releaseReason } : {}) };
    const session = this.session && !this.session.ended ? this.session : undefined;
    const released = (): void => {
      if (this.call && !this.call.isReleased) this.call.release(cause, cause === CAUSE.normal ? undefined : 'undefinedReason');
      this.releaseResources();
      const durationMs = this.answeredAt ? Date.now() - this.answeredAt : 0;
      this.log.info('call ended', { by: end.by, reason: end.reason, cause, durationMs });
      this.deps.onEnded(this, end);
    };
    // H.323 8.5 steps 1-3: the channels we opened through H.245 are closed first (unless the room released the call)
    const ours = session && this.call && !this.call.isReleased ? [...this.ourChannels] : [];
    if (!session || ours.length === 0) {
      // step 4: endSessionCommand; tunnelled, it rides in the ReleaseComplete sent in this tick
      if (session) void session.endSession(end.reason).catch(() => undefined);
      return released();
    }
    this.stopMedia();
    this.byeSent = closeOwnChannels(session, ours, this.log).then(() => {
      void session.endSession(end.reason).catch(() => undefined);
      released();
    });
  }
}

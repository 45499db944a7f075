// One H.323 call from a room into a meeting (issue #5): the H.323 counterpart of InboundCall.
// Setup → CallProceeding → media (CallMedia with the meeting's shared mix) → meeting leg →
// Connect. Media is agreed either by fastStart (H.323 8.1.7: one accepted proposal per direction
// and media type, answered in Connect) or by an H.245 session (H.323 8.2) on the tunnel or a
// separate H.245 connection: capability exchange, our OpenLogicalChannel toward the room, its
// channels toward us acked with our addresses. Keyframe requests map to
// videoFastUpdatePicture (H.245 6.x miscellaneousCommand) both ways, DTMF to userInputIndication
// and the Q.931 keypad IE. Every end goes through `closeWith`.
import { progressSummary } from '../call-summary.ts';
import type { DtmfDigit, NegotiatedMedia } from '../../bridge/index.ts';
import { parseDtmfDigit } from '../../bridge/index.ts';
import type { Alias, IpPort, MediaCapability } from '../../h323/asn1/index.ts';
import type { CallEnd as H225CallEnd, IncomingH323Call } from '../../h323/h225/index.ts';
import {
  connectH245, H245Session, listenH245, type H245Channel, type H245Listener, type H245Timers, type IncomingChannel,
  type OpenChannelRequest, type RemoteCapabilities, type UserInput,
} from '../../h323/h245/index.ts';
import type { CallDtmfRelay } from '../call-dtmf-relay.ts';
import { playKeysToRoom, wireCallMedia } from '../call-media-wiring.ts';
import type { CallMediaHandle, MeetingLegHandle } from '../media-plane/handles.ts';
import { parseDtmfInfo } from '../dtmf-info.ts';
import type { CallEnd, CallState, CallSummary } from '../inbound-call.ts';
import type { Logger } from '../logger.ts';
import { joinWithTimeout, MeetingUnavailable } from '../meeting-join.ts';
import { carriesCodec, gatewayCapabilities, negotiatedMedia, rtcpOf, videoLimitFromFlowControl, type RoomMediaAddress } from './h323-media.ts';
import { closeOwnChannels } from './phase-e.ts';
import { answerFromRoom, answerToRoom, chooseFastStart, readFastStartChannel, type FastStartChannel } from './olc.ts';

export interface InboundH323CallDeps {
  call: IncomingH323Call;
  roomId: string;
  mediaAddress: { bind: string; advertised: string };
  createMedia: (opts: { bindAddress: string; logger: Logger; video?: boolean }) => Promise<CallMediaHandle>;
  joinMeeting: (opts: { roomId: string; displayName: string; video: boolean; logger: Logger }) => Promise<MeetingLegHandle>;
  joinTimeoutMs: number;
  logger: Logger;
  /** How long to wait for the room's TerminalCapabilitySet when there is no fastStart, ms. Default 10000. */
  capabilitiesTimeoutMs?: number;
  /** Our own H.245 listener (announced in CallProceeding): how long the room has to connect to it before we join the meeting audio only, ms. Default 3000. */
  h245AcceptTimeoutMs?: number;
  h245Timers?: Partial<H245Timers>;
  onEnded: (call: InboundH323Call, end: CallEnd) => void;
}

/** Our logical channel numbers toward the room (H.245 forwardLogicalChannelNumber). */
const OUR_AUDIO_CHANNEL = 101;
const OUR_VIDEO_CHANNEL = 102;

/** Q.850 causes (Q.850 Table 1) for the ends we choose. */
const CAUSE = { normal: 16, unallocated: 1, temporaryFailure: 41, resourceUnavailable: 47, incompatible: 88 } as const;

export class InboundH323Call {
  readonly callId: string;
  private state: CallState = 'joining';
  private readonly startedAt = Date.now();
  private answeredAt?: number;
  private media?: CallMediaHandle;
  private leg?: MeetingLegHandle;
  private dtmf?: CallDtmfRelay;
  private session?: H245Session;
  private h245Listener?: H245Listener;
  /** The first connection to our own H.245 listener (undefined once the listener closed without one). */
  private ownH245?: Promise<H245Channel | undefined>;
  /** Our logical channels opened through H.245 and not released: closed in phase E (H.323 8.5). */
  private readonly ourChannels = new Set<number>();
  private keyframesFromRoom = 0;
  /** Media agreed by fastStart (H.245, if any, only carries control). */
  private fastStarted = false;
  private keyframesToRoom = 0;
  /** The room's video channel toward us: the one videoFastUpdatePicture names. */
  private roomVideoChannel?: number;
  /** H.245 path: what we send (from our OLC's Ack) and what the room sends (its OLCs). */
  private readonly opened: { audio?: RoomMediaAddress; video?: RoomMediaAddress & { payloadType?: number } } = {};
  /** H.245 path: the audio codec of each direction once chosen (CallMedia runs one codec both ways). */
  private readonly audioCodec: { toRoom?: string; fromRoom?: string } = {};
  /** Incoming OLCs that arrive before media exists wait here. */
  private readonly pendingIncoming: IncomingChannel[] = [];
  /** Gateway shutdown waits on this: resolved once our ReleaseComplete is sent (after H.245 phase E on a separate channel). */
  byeSent: Promise<void> = Promise.resolve();
  /** The H.245 session runs on a separate TCP connection, not the H.225.0 tunnel. */
  private sessionSeparate = false;
  private readonly log: Logger;

  constructor(private readonly deps: InboundH323CallDeps) {
    this.callId = deps.call.callId;
    this.log = deps.logger.child({ callId: this.callId, roomId: deps.roomId, protocol: 'h323' });
  }

  summary(): CallSummary {
    const s = this.deps.call.setup;
    return {
      callId: this.callId,
      roomId: this.deps.roomId,
      caller: s.displayName ?? s.callingNumber ?? aliasText(s.sourceAliases) ?? `${this.deps.call.remote.address}`,
      direction: 'inbound',
      protocol: 'h323',
      state: this.state,
      startedAt: this.startedAt,
      ...progressSummary({ answeredAt: this.answeredAt, keyframesFromRoom: this.keyframesFromRoom, keyframesToRoom: this.keyframesToRoom, media: this.media, leg: this.leg, dtmf: this.dtmf }),
    };
  }

  async run(): Promise<void> {
    const { call } = this.deps;
    call.on('released', (end) => this.onReleased(end));
    call.on('keypad', (keys) => this.fromRoomKeys(keys, undefined, 'keypad'));
    if (call.isReleased) return this.onReleased(call.end!);
    const channels = call.setup.fastStart.map((b, i) => readFastStartChannel(b, i)).filter((c): c is FastStartChannel => c !== undefined);
    const fast = chooseFastStart(channels, carriesCodec);
    const useFastStart = fast.audio !== undefined;
    if (call.setup.fastStart.length && !useFastStart) {
      this.log.info('h323 fastStart refused: no audio proposal pair we carry', { proposals: call.setup.fastStart.length, readable: channels.length });
    }
    if (!useFastStart && !call.h245Tunnel && !call.remoteH245Address) {
      // H.323 8.2: no fastStart, no tunnel and no H.245 address from the room: we listen, and give our
      // address in CallProceeding (H.225.0 CallProceeding-UUIE h245Address) so that the room's
      // capabilities arrive before the meeting join, as on the other H.245 paths
      const address = await this.listenOwnH245();
      if (this.isOver()) return this.releaseResources(); // the room left while we listened
      if (!address) {
        this.closeWith({ by: 'gateway', reason: 'cannot listen for H.245' }, CAUSE.resourceUnavailable);
        return;
      }
      // Q.931 5.2.5.2: we take the call; H.323 8.1.7.1: a fastStart we cannot use is refused here already
      call.proceeding({ h245Address: address, fastStart: [] });
    } else {
      call.proceeding(); // Q.931 5.2.5.2: we take the call; the meeting join may take a while
    }
    let video = false;
    try {
      this.media = await this.deps.createMedia({ bindAddress: this.deps.mediaAddress.bind, logger: this.log });
      if (this.isOver()) return this.releaseResources(); // the room left while we allocated
      // H.323 8.1.7: fastStart proposals say whether the room sends video
      video = useFastStart && fast.video !== undefined;
      if (!useFastStart) {
        // H.323 8.2: the H.245 session first, so the meeting leg knows from the room's
        // TerminalCapabilitySet whether the room sends video (bounded: audio only without it)
        const caps = await this.startH245(true);
        if (this.isOver()) return;
        video = !!caps?.capabilities.some((c) => c.kind === 'video' && c.media?.codec === 'h264');
      }
      this.leg = await joinWithTimeout(this.deps.joinMeeting({ roomId: this.deps.roomId, displayName: this.displayName(), video, logger: this.log }), this.deps.joinTimeoutMs);
      if (this.isOver()) return this.releaseResources(); // the room left while we joined
    } catch (err) {
      if (this.isOver()) return;
      const status = err instanceof MeetingUnavailable ? err.status : 500;
      const cause = status === 404 ? CAUSE.unallocated : status === 503 || status === 408 ? CAUSE.temporaryFailure : CAUSE.resourceUnavailable;
      this.log.warn('h323 cannot join meeting', { error: (err as Error).message, status, cause });
      this.closeWith({ by: 'gateway', reason: `cannot join meeting: ${(err as Error).message}` }, cause);
      return;
    }
    const media = this.media;
    const leg = this.leg;
    media.attachCloud(leg);
    this.dtmf = wireCallMedia(media, leg, {
      log: this.log,
      end: (by, reason) => this.closeWith({ by, reason }),
      requestRoomKeyframe: () => this.sendVideoFastUpdate(),
      sendInfo: (type, body) => this.dtmfToRoom(type, body),
    });

    const h245Address = await this.h245AddressForConnect();
    if (this.isOver()) return; // released meanwhile: no Connect
    if (useFastStart) {
      call.accept({ fastStart: this.answerFastStart(fast), ...h245Address });
      // H.323 8.2: H.245 may still run (tunnelled or on the room's H.245 address) for DTMF and VFU
      if (!this.isOver()) void this.startH245(false).catch((err: Error) => this.log.debug('h323 H.245 after fastStart failed', { error: err.message }));
    } else {
      call.accept(h245Address);
      if (!this.isOver()) void this.openOurChannels();
      for (const ch of this.pendingIncoming.splice(0)) this.onIncomingChannel(ch);
    }
    if (this.isOver()) return;
    this.state = 'active';
    this.answeredAt = Date.now();
    this.log.info('h323 call answered', { fastStart: useFastStart, tunnelling: call.tunnelling, video });
  }

  /** Accepted fastStart proposals: setRemote with the room's receive addresses, answers with ours. */
  private answerFastStart(fast: ReturnType<typeof chooseFastStart>): Uint8Array[] {
    const media = this.media!;
    const ip = this.deps.mediaAddress.advertised;
    const answers: Uint8Array[] = [];
    this.fastStarted = true;
    const audio = fast.audio!;
    answers.push(answerFromRoom(audio.fromRoom, { rtp: { ip, port: media.audioPort }, rtcp: { ip, port: media.audioPort + 1 } }));
    answers.push(answerToRoom(audio.toRoom, { channel: OUR_AUDIO_CHANNEL, rtcp: { ip, port: media.audioPort + 1 } }));
    const video = fast.video && media.videoPort ? fast.video : undefined;
    if (video) {
      this.roomVideoChannel = video.fromRoom.channel;
      answers.push(answerFromRoom(video.fromRoom, { rtp: { ip, port: media.videoPort! }, rtcp: { ip, port: media.videoPort! + 1 } }));
      answers.push(answerToRoom(video.toRoom, { channel: OUR_VIDEO_CHANNEL, rtcp: { ip, port: media.videoPort! + 1 } }));
    }
    const desc = negotiatedMedia(
      { media: audio.toRoom.media, rtp: audio.toRoom.mediaChannel!, ...rtcpOf(audio.toRoom) },
      video ? { media: video.toRoom.media, rtp: video.toRoom.mediaChannel!, ...rtcpOf(video.toRoom), ...(video.toRoom.payloadType !== undefined ? { payloadType: video.toRoom.payloadType } : {}) } : undefined,
    );
    this.setRemote(desc);
    return answers;
  }

  private setRemote(desc: NegotiatedMedia): void {
    this.log.info('h323 media', { address: desc.address, audio: desc.audio?.codec, audioPort: desc.audio?.port, video: desc.video?.codec, videoPort: desc.video?.port });
    this.media?.setRemote(desc);
  }

  /** Our own H.245 listener, its first connection awaited from now on; the address to announce, undefined if we cannot listen. */
  private async listenOwnH245(): Promise<IpPort | undefined> {
    let l: H245Listener;
    try {
      l = await listenH245(this.deps.mediaAddress.bind, 0, this.log);
    } catch (err) {
      this.log.warn('h323 cannot listen for H.245', { error: (err as Error).message });
      return undefined;
    }
    this.h245Listener = l;
    // the room may connect (and send its TCS) at once: the channel holds its PDUs until the session listens
    this.ownH245 = l.accept().catch((err: Error) => void this.log.debug('h323 no H.245 connection', { error: err.message }));
    return { ip: this.deps.mediaAddress.advertised, port: l.port };
  }

  /** The H.245 channel: the tunnel, else the room's H.245 address, else the room's connection to our own listener. */
  private async h245Channel(): Promise<H245Channel | undefined> {
    const { call } = this.deps;
    if (call.h245Tunnel) return call.h245Tunnel;
    const a = call.remoteH245Address;
    if (a) return connectH245(a.ip, a.port, this.log);
    return this.ownH245 ? this.acceptOwnH245(this.ownH245) : undefined;
  }

  /**
   * The room's connection to our listener, awaited for h245AcceptTimeoutMs. A room that connects
   * later (say, only once Connect repeats the address) still gets its session then, with the
   * meeting leg audio only.
   */
  private acceptOwnH245(accepted: Promise<H245Channel | undefined>): Promise<H245Channel | undefined> {
    const waitMs = this.deps.h245AcceptTimeoutMs ?? 3000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log.info('h323 the room did not open our H.245 listener in time: joining the meeting audio only', { waitedMs: waitMs });
        resolve(undefined);
        void accepted.then((ch) => {
          if (!ch) return;
          if (this.isOver() || this.session) return void ch.close('call ended');
          this.runSession(ch); // remoteCapabilities → our channels once the call is active
        });
      }, waitMs);
      void accepted.then((ch) => {
        clearTimeout(timer);
        resolve(ch);
      });
    });
  }

  /** Connect repeats our listener's address when the room has not opened it yet (H.323 8.2). */
  private async h245AddressForConnect(): Promise<{ h245Address?: IpPort }> {
    if (!this.h245Listener || this.session) return {};
    return { h245Address: { ip: this.deps.mediaAddress.advertised, port: this.h245Listener.port } };
  }

  /**
   * Starts the H.245 session (H.323 8.2): TCS and MSD. `needCaps`: wait for the room's capability
   * set (the no-fastStart path), at most capabilitiesTimeoutMs; without it the meeting leg is audio only.
   */
  private async startH245(needCaps: boolean): Promise<RemoteCapabilities | undefined> {
    const ch = await this.h245Channel();
    if (this.isOver()) {
      ch?.close('call ended');
      return undefined;
    }
    if (!ch) return undefined;
    const session = this.runSession(ch);
    if (!needCaps) return undefined;
    const caps = await this.waitForCapabilities(session);
    if (!caps && !this.isOver()) {
      this.log.info('h323 no TerminalCapabilitySet from the room in time: joining the meeting audio only', { waitedMs: this.deps.capabilitiesTimeoutMs ?? 10_000 });
    }
    return caps;
  }

  private runSession(ch: H245Channel): H245Session {
    const session = new H245Session({
      channel: ch, capabilities: gatewayCapabilities(this.media?.videoPort !== undefined), callId: this.callId, logger: this.log,
      // after fastStart the media flows without H.245: a peer that never completes TCS/MSD keeps its call
      endOnProcedureFailure: !this.fastStarted,
      ...(this.deps.h245Timers ? { timers: this.deps.h245Timers } : {}),
    });
    this.session = session;
    this.sessionSeparate = ch !== this.deps.call.h245Tunnel;
    session.on('incomingChannel', (req) => this.onIncomingChannel(req));
    session.on('videoFastUpdate', () => {
      this.keyframesFromRoom++;
      this.log.debug('h323 videoFastUpdatePicture from the room');
      this.media?.onRoomKeyframeRequest();
    });
    session.on('userInput', (ui) => this.onUserInput(ui));
    session.on('flowControl', (fc) => {
      // H.245 FlowControlCommand: the room bounds what we send; the video part picks the simulcast layer
      const bps = videoLimitFromFlowControl(fc, OUR_VIDEO_CHANNEL);
      if (bps === 'ignore') return;
      this.log.info('h323 flowControlCommand from the room', { ...fc, videoLimitBps: bps ?? 'none' });
      this.media?.limitVideoFromSignalling(bps);
    });
    session.on('remoteCapabilities', () => {
      // a room that opened our listener only after Connect: its capabilities open our channels now
      if (this.state === 'active' && this.ourChannels.size === 0 && this.opened.audio === undefined && this.h245Listener) void this.openOurChannels();
    });
    session.on('channelClosed', (c) => {
      if (c.direction === 'outgoing') this.ourChannels.delete(c.number);
    });
    session.on('ended', (reason) => {
      if (this.session === session) this.session = undefined;
      // H.323 8.5: the room's endSessionCommand (answered by the session) starts its clearing; the
      // loss of the H.245 channel leaves no way to control media either: the call ends
      if (!this.isOver()) this.closeWith({ by: 'room', reason: `H.245 session ended: ${reason}` });
    });
    session.start();
    return session;
  }

  private waitForCapabilities(session: H245Session): Promise<RemoteCapabilities | undefined> {
    if (session.remoteCapabilities) return Promise.resolve(session.remoteCapabilities);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.deps.capabilitiesTimeoutMs ?? 10_000);
      const done = (c: RemoteCapabilities | undefined) => {
        clearTimeout(timer);
        session.off('remoteCapabilities', onCaps);
        session.off('ended', onEnd);
        resolve(c);
      };
      const onCaps = (c: RemoteCapabilities) => done(c);
      const onEnd = () => done(undefined);
      session.on('remoteCapabilities', onCaps);
      session.on('ended', onEnd);
    });
  }

  /** Our channels toward the room (H.245 8.4), one per media type, with a codec from its TCS. */
  private async openOurChannels(): Promise<void> {
    const session = this.session;
    const media = this.media;
    if (!session || !media) return;
    const caps = session.remoteCapabilities;
    if (!caps) return;
    const ip = this.deps.mediaAddress.advertised;
    // the room's own channel toward us, when it came first, fixes the codec (one codec both ways)
    const prefer = [...(this.audioCodec.fromRoom ? [this.audioCodec.fromRoom] : []), 'g711Ulaw64k', 'g711Alaw64k', 'g722-64k'];
    const roomAudio = caps.capabilities
      .filter((c) => c.kind === 'audio' && c.direction !== 'transmit' && c.media && carriesCodec(c.media))
      .sort((a, b) => prefer.indexOf(a.media!.codec) - prefer.indexOf(b.media!.codec))[0];
    if (!roomAudio) {
      this.log.warn('h323 the room receives no audio codec we send', { codecs: caps.capabilities.map((c) => c.codec) });
      this.closeWith({ by: 'gateway', reason: 'no common audio codec' }, CAUSE.incompatible);
      return;
    }
    const audioMedia = { ...roomAudio.media!, framesPerPacket: 20 } as MediaCapability;
    this.audioCodec.toRoom = audioMedia.codec;
    const roomVideo = media.videoPort && this.leg ? caps.capabilities.find((c) => c.kind === 'video' && c.direction !== 'transmit' && c.media?.codec === 'h264') : undefined;
    // tracked from the OpenLogicalChannel on: phase E closes a channel still awaiting its Ack too (H.245 C.4)
    const open = (req: OpenChannelRequest) => {
      this.ourChannels.add(req.number);
      return session.openChannel(req).catch((err: unknown) => {
        this.ourChannels.delete(req.number);
        throw err;
      });
    };
    try {
      const [a, v] = await Promise.all([
        open({ number: OUR_AUDIO_CHANNEL, capability: audioMedia, sessionID: 1, mediaControlChannel: { ip, port: media.audioPort + 1 } }),
        roomVideo ? open({ number: OUR_VIDEO_CHANNEL, capability: roomVideo.media!, sessionID: 2, payloadType: 96, mediaControlChannel: { ip, port: media.videoPort! + 1 } }) : Promise.resolve(undefined),
      ]);
      if (this.isOver()) return;
      if (!a.mediaChannel) throw new Error('OpenLogicalChannelAck without mediaChannel');
      this.opened.audio = { media: audioMedia, rtp: a.mediaChannel, ...rtcpOf(a) };
      if (v?.mediaChannel) this.opened.video = { media: roomVideo!.media!, rtp: v.mediaChannel, ...rtcpOf(v), payloadType: 96 };
      this.setRemote(negotiatedMedia(this.opened.audio, this.opened.video));
    } catch (err) {
      if (this.isOver()) return;
      this.log.warn('h323 the room refused our logical channel', { error: (err as Error).message });
      this.closeWith({ by: 'gateway', reason: `logical channel refused: ${(err as Error).message}` }, CAUSE.incompatible);
    }
  }

  /** The room's OpenLogicalChannel toward us: Ack with our RTP/RTCP addresses for codecs we carry. */
  private onIncomingChannel(req: IncomingChannel): void {
    const media = this.media;
    if (this.isOver()) return void req.reject('unspecified');
    if (!media || !this.leg) {
      this.pendingIncoming.push(req); // media and meeting not ready yet: answered after Connect
      return;
    }
    const ip = this.deps.mediaAddress.advertised;
    const isVideo = req.media.codec === 'h264' || req.media.codec === 'h263';
    if (!carriesCodec(req.media) || (isVideo && !media.videoPort)) {
      this.log.info('h323 room channel refused', { channel: req.number, codec: req.media.codec });
      req.reject('dataTypeNotSupported');
      return;
    }
    const other = isVideo ? undefined : this.audioCodec.toRoom;
    if (other && other !== req.media.codec) {
      // CallMedia decodes the room with the codec it encodes for it: ask for the same one (H.245 8.4 lets the room retry)
      this.log.info('h323 room channel refused', { channel: req.number, codec: req.media.codec, reason: `we send ${other}` });
      req.reject('dataTypeNotSupported');
      return;
    }
    if (!isVideo) this.audioCodec.fromRoom = req.media.codec;
    const port = isVideo ? media.videoPort! : media.audioPort;
    if (isVideo) this.roomVideoChannel = req.number;
    req.accept({ mediaChannel: { ip, port }, mediaControlChannel: { ip, port: port + 1 } });
    this.log.info('h323 room channel accepted', { channel: req.number, codec: req.media.codec, sessionID: req.sessionID });
  }

  private sendVideoFastUpdate(): void {
    if (this.state !== 'active' || !this.session || this.roomVideoChannel === undefined) return;
    this.keyframesToRoom++;
    this.session.sendVideoFastUpdate(this.roomVideoChannel);
  }

  private onUserInput(ui: UserInput): void {
    if (ui.kind === 'alphanumeric') this.fromRoomKeys(ui.text, undefined, 'userInput');
    else if (ui.kind === 'signal') this.fromRoomKeys(ui.signal, ui.durationMs, 'userInput');
    // signalUpdate only lengthens a key already delivered
  }

  private fromRoomKeys(keys: string, durationMs: number | undefined, source: string): void {
    for (const k of keys) {
      const digit = parseDtmfDigit(k);
      if (!digit) {
        this.log.debug('h323 user input that is no DTMF key ignored', { key: k, source });
        continue;
      }
      this.dtmf?.fromRoomSignalled(digit, durationMs);
    }
  }

  /** CallDtmfRelay's out-of-band path toward the room: userInputIndication signal, else keypad. */
  private async dtmfToRoom(contentType: string, body: string): Promise<number> {
    const p = parseDtmfInfo(contentType, body);
    if (p.kind !== 'digit' || this.state !== 'active') return 400;
    const digit: DtmfDigit = p.value.digit;
    if (this.session && !this.session.ended) this.session.sendUserInputSignal(digit, p.value.durationMs);
    else this.deps.call.sendKeypad(digit);
    return 200;
  }

  /** Play keys to the room (admin API); false when the call is not active. */
  sendDtmf(digits: DtmfDigit[], durationMs?: number): boolean {
    return playKeysToRoom(this.dtmf, this.state === 'active', digits, durationMs);
  }

  private onReleased(end: H225CallEnd): void {
    this.closeWith({ by: end.by === 'remote' ? 'room' : 'gateway', reason: `${end.detail}${end.cause !== undefined ? ` (cause ${end.cause})` : ''}` });
  }

  private displayName(): string {
    const s = this.deps.call.setup;
    return s.displayName || aliasText(s.sourceAliases) || s.callingNumber || 'Room';
  }

  /** Frees what the call holds; idempotent (closeWith, and a run() that finds the call over after an await). */
  private releaseResources(o: { keepSession?: boolean } = {}): void {
    if (!o.keepSession) this.session?.close('call ended');
    this.h245Listener?.close();
    for (const ch of this.pendingIncoming.splice(0)) ch.reject('unspecified');
    this.dtmf?.close();
    this.media?.close();
    const leg = this.leg;
    this.leg = undefined;
    if (leg) void leg.leave().catch(() => undefined);
  }

  private isOver(): boolean {
    return this.state === 'ended';
  }

  /** The single end of every call: idempotent; releases the H.323 call (cause 16 unless given), H.245, media and the leg. */
  closeWith(end: CallEnd, cause: number = CAUSE.normal): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    const { call } = this.deps;
    const released = () => {
      if (!call.isReleased) call.release(cause, releaseReason(cause));
      this.releaseResources();
      const durationMs = this.answeredAt ? Date.now() - this.answeredAt : 0;
      this.log.info('call ended', { by: end.by, reason: end.reason, cause, durationMs });
      this.deps.onEnded(this, end);
    };
    const session = this.session && !this.session.ended ? this.session : undefined;
    if (!session) return released();
    // H.323 8.5 steps 1-3: our logical channels closed (video first, then audio), unless the room has released the call already
    const ours = call.isReleased ? [] : [OUR_VIDEO_CHANNEL, OUR_AUDIO_CHANNEL].filter((n) => this.ourChannels.has(n));
    if (ours.length === 0 && !this.sessionSeparate) {
      // H.323 8.5 step 4: endSessionCommand; tunnelled, it rides in the ReleaseComplete sent in this tick
      void session.endSession(end.reason);
      return released();
    }
    // media stops now; CloseLogicalChannel (H.245 C.4) and a bounded wait for the Acks, then endSessionCommand.
    // Tunnelled it rides in the ReleaseComplete; on a separate channel (H.323 8.5 steps 4-6) the peer's
    // endSessionCommand (or the endSession timer) closes the channel, and only then the ReleaseComplete goes
    this.releaseResources({ keepSession: true });
    this.byeSent = closeOwnChannels(session, ours, this.log)
      .then(() => {
        const sessionEnded = session.endSession(end.reason);
        return this.sessionSeparate ? sessionEnded.then(released) : released();
      })
      .catch((err: Error) => void this.log.error('h323 release after H.245 phase E failed', { error: err.message }));
  }
}

/** H.225.0 ReleaseCompleteReason for the Q.850 causes we send. */
function releaseReason(cause: number): 'unreachableDestination' | 'gatewayResources' | 'undefinedReason' | undefined {
  if (cause === CAUSE.normal) return undefined;
  if (cause === CAUSE.unallocated) return 'unreachableDestination';
  if (cause === CAUSE.temporaryFailure || cause === CAUSE.resourceUnavailable) return 'gatewayResources';
  return 'undefinedReason';
}

/** The first alias's text (h323-ID, digits, URL or e-mail), for names in the meeting and summaries. */
function aliasText(aliases: readonly Alias[]): string | undefined {
  for (const a of aliases) {
    const v = Object.values(a)[0] as string | undefined;
    if (v) return v;
  }
  return undefined;
}

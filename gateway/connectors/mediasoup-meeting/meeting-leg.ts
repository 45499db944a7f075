import { EventEmitter } from 'node:events';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import type { CloudMediaPort, CloudMediaPortEvents, Logger } from '../../../bridge/index.ts';
import { MeetingConnectorError, MeetingEndedError, MeetingMediaError, MeetingProtocolError } from './errors.ts';
import { planMedia, type MediaPlan } from './media-plan.ts';
import { toOutboundPacket } from './outbound-rtp.ts';
import { createLegPeerConnection, LOOPBACK_ICE, type LegIceOptions } from './peer-connection.ts';
import { producerRtpParameters } from './producer-parameters.ts';
import { buildRemoteAnswer, localFingerprints, type SectionPlan } from './remote-sdp.ts';
import { scanKeyframeRequests } from './rtcp-keyframe-requests.ts';
import { SignallingClient } from './signalling-client.ts';
import { spatialLayerBitrates, VideoLayerFit, type LayeredConsumer, type VideoLayerStats } from './simulcast-layers.ts';
import { installSrtpTap } from './srtp-tap.ts';
import { VideoSourceSelector } from './video-source-selector.ts';
import {
  consumeResponseSchema,
  joinResponseSchema,
  notificationSchemas,
  parseResponse,
  produceResponseSchema,
  transportResponseSchema,
  type MediaKind,
  type NotificationName,
  type RtpParameters,
  type TransportResponse,
} from './wire-types.ts';

export interface JoinMeetingOptions {
  /** Signalling endpoint, `ws://host:port/ws` (meeting/PROTOCOL.md). */
  url: string;
  roomId: string;
  displayName: string;
  logger: Logger;
  audio: true;
  /** Produce and consume H.264 video. */
  video: boolean;
  /** WebSocket connect (TCP + handshake) limit, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Limit for each signalling request, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** ICE + DTLS must be connected within this after the first answer, ms. Default 10000. */
  mediaTimeoutMs?: number;
  /**
   * Local ICE addresses. Default: when every candidate of the meeting is a loopback address,
   * gather on 127.0.0.1 only; otherwise on the host's non-loopback interfaces. No STUN/TURN:
   * mediasoup is ICE-lite and learns our address from the checks (RFC 8445 7.3.1.3).
   */
  ice?: LegIceOptions;
}

export type MeetingLegEvents = CloudMediaPortEvents & {
  /** The meeting is over for this leg: room closed, socket lost, ICE/DTLS failed. Not emitted by leave(). */
  ended: [reason: string];
  /** A participant asks this leg to send a key to the room (PROTOCOL.md `dtmfRequest`). */
  'dtmf-request': [digit: string, durationMs: number | undefined, fromPeerId: string];
};

export interface DirectionCounts {
  packetsSent: number;
  bytesSent: number;
  /** sendAudio/sendVideo buffers dropped: malformed, or the leg not connected. */
  sendDropped: number;
  packetsReceived: number;
  bytesReceived: number;
}

export interface MeetingLegStats {
  state: 'joining' | 'connected' | 'ended';
  roomId: string;
  peerId: string;
  endReason?: string;
  videoEnabled: boolean;
  audio: DirectionCounts;
  video: DirectionCounts;
  /** PLI/FIR for our video producer received from the meeting. */
  keyframeRequestsReceived: number;
  /** PLIs (or requestKeyFrame requests) sent toward the selected video consumer. */
  keyframeRequestsSent: number;
  producers: number;
  consumers: number;
  /** Local offer/answer rounds with werift (1 + one per batch of new consumers). */
  negotiations: number;
  /** The participant whose video is forwarded as 'video'. */
  videoSourcePeerId?: string;
  /** Voice-activated video switches, most recent last (at most 32): wall-clock ms, new and previous source. */
  videoSwitches: { atMs: number; peerId: string; fromPeerId?: string }[];
  malformedRtcp: number;
  unknownSsrcPackets: number;
  /** Keys reported to the meeting (`dtmf` requests) and keys it asked us to send. */
  dtmf: { sent: number; failed: number; requested: number };
  /** Audio consumers paused because another room's leg feeds that participant to the shared mix. */
  audioConsumersPaused: number;
  /** The room's video limit and the simulcast layer asked for (simulcast-layers.ts). */
  videoLayer: VideoLayerStats;
}

interface RecvSlot {
  kind: MediaKind;
  transceiver: RTCRtpTransceiver;
  consumer?: ConsumerState;
}

/** `layerBitrates`/`preferredSpatialLayer` (LayeredConsumer): video with several spatial layers. */
interface ConsumerState extends LayeredConsumer {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  ssrc: number;
  rtpParameters: RtpParameters;
  slot: RecvSlot;
  /** Paused in the meeting (a video source we switched away from, kept for a quick switch back). */
  paused: boolean;
}

interface ProducerRef {
  producerId: string;
  peerId: string;
  kind: MediaKind;
}

const LEAVE_TIMEOUT_MS = 2000;
const MAX_RECORDED_SWITCHES = 32;
const RTP_FIXED_HEADER_BYTES = 12;

const zeroCounts = (): DirectionCounts => ({ packetsSent: 0, bytesSent: 0, sendDropped: 0, packetsReceived: 0, bytesReceived: 0 });

/**
 * The gateway's WebRTC leg in an embedded (mediasoup) meeting: one werift RTCPeerConnection on
 * one `both` WebRtcTransport, one Opus producer (+ one H.264 producer), consumers for every other
 * participant's audio and for the video of one participant (VideoSourceSelector).
 *
 * Consumers after the first negotiation: every new consumer gets a recvonly transceiver and a
 * local re-offer/answer round (free slots of closed consumers are reused). Renegotiation is
 * chosen over a pre-created pool because the "remote" answer is written by this process (no
 * network round trip, ~ms), it needs no guess of the room size, and werift only routes RTP to a
 * receiver whose SSRC came in a remote description anyway (RFC 8843 9.2 SSRC demux), so a
 * pool would still need one remote description per consumer.
 *
 * All signalling work (setup, consumes, notifications) runs through one queue, in order.
 */
export class MeetingLeg extends EventEmitter<MeetingLegEvents> implements CloudMediaPort {
  readonly roomId: string;
  private peerIdValue = '';
  private state: MeetingLegStats['state'] = 'joining';
  private joined = false;
  private endReason: string | undefined;
  private leaveRequested = false;
  private leaving: Promise<void> | undefined;
  private teardownDone: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();

  private plan: MediaPlan | undefined;
  private transport: TransportResponse | undefined;
  private pc: RTCPeerConnection | undefined;
  private audioTx: RTCRtpTransceiver | undefined;
  private videoTx: RTCRtpTransceiver | undefined;
  private readonly slots: RecvSlot[] = [];
  private readonly consumersById = new Map<string, ConsumerState>();
  private readonly consumersBySsrc = new Map<number, ConsumerState>();
  /** Producers consumed or being consumed. */
  private readonly consumedProducers = new Set<string>();
  private readonly producerIds: string[] = [];
  private selector: VideoSourceSelector | undefined;
  private sessionVersion = 1;
  private lastFirSeq: number | undefined;
  private readonly disposers: (() => void)[] = [];
  private readonly loggedOnce = new Set<string>();
  private readonly counts = { audio: zeroCounts(), video: zeroCounts() };
  private keyframeRequestsReceived = 0;
  private keyframeRequestsSent = 0;
  private negotiations = 0;
  private malformedRtcp = 0;
  private unknownSsrcPackets = 0;
  private readonly videoSwitches: { atMs: number; peerId: string; fromPeerId?: string }[] = [];
  private readonly dtmfCounts = { sent: 0, failed: 0, requested: 0 };
  /** The room's video limit (CloudMediaPort.limitVideoBitrate) and the layer choice. */
  private readonly layerFit = new VideoLayerFit();

  private constructor(
    private readonly client: SignallingClient,
    private readonly opts: JoinMeetingOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.roomId = opts.roomId;
    client.on('notification', (name, data) => this.onNotification(name, data));
    client.on('closed', (reason) => this.end(this.leaveRequested ? 'left' : `meeting signalling lost: ${reason}`, !this.leaveRequested));
  }

  /** See joinMeeting() in index.ts. */
  static async join(opts: JoinMeetingOptions): Promise<MeetingLeg> {
    const logger = opts.logger.child?.({ component: 'meeting-leg', roomId: opts.roomId }) ?? opts.logger;
    const client = await SignallingClient.connect(opts.url, {
      logger,
      connectTimeoutMs: opts.connectTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs,
    });
    const leg = new MeetingLeg(client, opts, logger);
    try {
      await leg.enqueue(() => leg.setup());
      if (leg.state === 'ended') throw new MeetingEndedError(leg.endReason ?? 'unknown');
    } catch (error) {
      // If the meeting ended us first, that is the cause; the failed request is only its echo.
      const endedBy = leg.endReason;
      leg.end(`join failed: ${(error as Error).message}`, false);
      await leg.teardownDone;
      if (endedBy !== undefined && !(error instanceof MeetingEndedError)) throw new MeetingEndedError(endedBy);
      throw error instanceof MeetingConnectorError ? error : new MeetingMediaError(`join failed: ${(error as Error).message}`, { cause: error });
    }
    leg.state = 'connected';
    leg.joined = true;
    logger.info('meeting leg joined', { peerId: leg.peerId, video: !!leg.videoTx, consumers: leg.consumersById.size });
    return leg;
  }

  get peerId(): string {
    return this.peerIdValue;
  }

  // Typed listener registration, in the CloudMediaPort's shape.
  override on<K extends keyof MeetingLegEvents>(event: K, listener: (...args: MeetingLegEvents[K]) => void): this {
    return super.on(event, listener as never);
  }

  override once<K extends keyof MeetingLegEvents>(event: K, listener: (...args: MeetingLegEvents[K]) => void): this {
    return super.once(event, listener as never);
  }

  override off<K extends keyof MeetingLegEvents>(event: K, listener: (...args: MeetingLegEvents[K]) => void): this {
    return super.off(event, listener as never);
  }

  // ---- CloudMediaPort ------------------------------------------------------------------------

  sendAudio(rtp: Buffer): void {
    this.sendOn(this.audioTx, 'audio', rtp);
  }

  sendVideo(rtp: Buffer): void {
    this.sendOn(this.videoTx, 'video', rtp);
  }

  /** RFC 4585 6.3.1: PLI toward the selected participant's video (mediasoup relays it upstream). */
  requestKeyframe(): void {
    const consumer = this.currentVideoConsumer();
    if (this.state !== 'connected' || !consumer) return;
    this.keyframeRequestsSent++;
    const receiver = consumer.slot.transceiver.receiver;
    if (receiver.pliEnabled) {
      receiver.sendRtcpPLI(consumer.ssrc).catch((error: Error) => this.logOnce('pli', 'sending PLI failed', { error: error.message }));
    } else {
      // The consumer did not negotiate "nack pli": ask the meeting to do it (PROTOCOL.md requestKeyFrame).
      this.client.request('requestKeyFrame', { consumerId: consumer.consumerId }).catch((error: Error) => {
        this.logOnce('requestKeyFrame', 'requestKeyFrame failed', { error: error.message });
      });
    }
  }

  /**
   * CloudMediaPort.setAudioSourceWanted: stop or restart receiving one participant's audio
   * (PROTOCOL.md pauseConsumer / resumeConsumer), in order with the leg's other requests.
   */
  setAudioSourceWanted(sourceId: string, wanted: boolean): void {
    if (this.state !== 'connected') return;
    void this.enqueue(async () => {
      const consumer = [...this.consumersById.values()].find((c) => c.kind === 'audio' && c.peerId === sourceId);
      if (!consumer || consumer.paused === !wanted) return;
      consumer.paused = !wanted;
      await this.client.request(wanted ? 'resumeConsumer' : 'pauseConsumer', { consumerId: consumer.consumerId }).catch((error: Error) => {
        consumer.paused = !consumer.paused;
        this.logOnce('audio-wanted', `${wanted ? 'resumeConsumer' : 'pauseConsumer'} failed (audio)`, { consumerId: consumer.consumerId, error: error.message });
      });
    });
  }

  /**
   * Tell the meeting the room pressed a key (PROTOCOL.md `dtmf`). Requests leave in call
   * order on one socket and the meeting runs them in arrival order, so digits stay in order.
   */
  sendDtmf(digit: string, durationMs: number): void {
    if (this.state !== 'connected') {
      this.dtmfCounts.failed++;
      return;
    }
    this.client.request('dtmf', { digit, durationMs }).then(
      () => void this.dtmfCounts.sent++,
      (error: Error) => {
        this.dtmfCounts.failed++;
        this.logOnce('dtmf', 'dtmf request failed', { error: error.message });
      },
    );
  }

  /** CloudMediaPort: ask for the current (and each next) source's simulcast layer that fits `bps`. */
  limitVideoBitrate(bps: number): void {
    if (Number.isNaN(bps) || bps < 0) return;
    this.layerFit.limitBps = bps;
    this.enqueue(() => this.fitVideoLayer()).catch(() => {});
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  /** Leaves the meeting (sends `leave`, closes the peer connection and the socket). Idempotent. */
  leave(): Promise<void> {
    this.leaving ??= (async () => {
      if (this.state !== 'ended') {
        this.leaveRequested = true;
        try {
          await this.client.request('leave', {}, LEAVE_TIMEOUT_MS);
        } catch (error) {
          this.logger.debug('leave request not answered', { error: (error as Error).message });
        }
        this.end('left', false);
      }
      await this.teardownDone;
    })();
    return this.leaving;
  }

  stats(): MeetingLegStats {
    return {
      state: this.state,
      roomId: this.roomId,
      peerId: this.peerIdValue,
      endReason: this.endReason,
      videoEnabled: !!this.videoTx,
      audio: { ...this.counts.audio },
      video: { ...this.counts.video },
      keyframeRequestsReceived: this.keyframeRequestsReceived,
      keyframeRequestsSent: this.keyframeRequestsSent,
      producers: this.producerIds.length,
      consumers: this.consumersById.size,
      negotiations: this.negotiations,
      videoSourcePeerId: this.currentVideoConsumer()?.peerId,
      videoSwitches: this.videoSwitches.map((x) => ({ ...x })),
      malformedRtcp: this.malformedRtcp,
      unknownSsrcPackets: this.unknownSsrcPackets,
      dtmf: { ...this.dtmfCounts },
      audioConsumersPaused: [...this.consumersById.values()].filter((c) => c.kind === 'audio' && c.paused).length,
      videoLayer: this.layerFit.stats(this.currentVideoConsumer()),
    };
  }

  /** The one way the leg ends: records why, releases everything, tells the owner (if joined). */
  private end(reason: string, emitEnded = true): void {
    if (this.state === 'ended') return;
    const wasJoined = this.joined;
    this.state = 'ended';
    this.endReason = reason;
    this.logger.info('meeting leg ended', { ...this.stats(), reason });
    this.teardownDone = this.teardown();
    if (wasJoined && emitEnded) this.emit('ended', reason);
  }

  private async teardown(): Promise<void> {
    for (const dispose of this.disposers.splice(0)) dispose();
    this.consumersBySsrc.clear();
    const pc = this.pc;
    this.pc = undefined;
    await Promise.all([
      pc?.close().catch((error: Error) => this.logger.warn('closing the peer connection failed', { error: error.message })),
      this.client.close('leg ended'),
    ]);
  }

  // ---- setup ---------------------------------------------------------------------------------

  private async setup(): Promise<void> {
    const join = parseResponse(
      joinResponseSchema,
      'join',
      await this.client.request('join', { roomId: this.opts.roomId, displayName: this.opts.displayName, kind: 'gateway' }),
    );
    this.peerIdValue = join.peerId;
    const selector = new VideoSourceSelector(join.peerId);
    this.selector = selector;
    const plan = planMedia(join.routerRtpCapabilities, this.opts.video);
    this.plan = plan;
    if (this.opts.video && !plan.video) this.logger.warn('meeting router has no H.264 packetization-mode 1: audio only');

    const transport = parseResponse(
      transportResponseSchema,
      'createWebRtcTransport',
      await this.client.request('createWebRtcTransport', { direction: 'both' }),
    );
    this.transport = transport;
    const pc = this.createPeerConnection(plan, transport);
    this.audioTx = pc.addTransceiver('audio', { direction: 'sendonly' });
    if (plan.video) this.videoTx = pc.addTransceiver('video', { direction: 'sendonly' });

    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    // RFC 5763 5 / RFC 8842 5.3: our answer says a=setup:passive for mediasoup, so werift is the
    // DTLS client; mediasoup is told our role and takes the server role.
    await this.client.request('connectWebRtcTransport', {
      transportId: transport.transportId,
      dtlsParameters: { role: 'client', fingerprints: localFingerprints(pc.localDescription!.sdp) },
    });
    this.logger.debug('meeting transport connected (DTLS role client)', { transportId: transport.transportId });
    const dtls = pc.dtlsTransports[0];
    if (!dtls) throw new MeetingMediaError('werift created no DTLS transport');
    this.disposers.push(
      installSrtpTap(dtls, {
        rtp: (packet) => this.onRtp(packet),
        rtcp: (packet) => this.onRtcp(packet),
        onError: (message) => this.logOnce(`tap:${message}`, 'SRTP tap problem', { message }),
      }),
    );
    const connected = this.waitConnected(pc, this.opts.mediaTimeoutMs ?? 10_000);
    connected.catch(() => {}); // awaited below; must not go unhandled if the answer fails first
    await this.applyAnswer(pc);
    this.logger.debug('remote answer applied, waiting for ICE/DTLS');
    await connected;
    this.logger.debug('ICE/DTLS connected');

    await this.produce('audio', this.audioTx);
    if (this.videoTx) await this.produce('video', this.videoTx);
    await this.client.request('setRtpCapabilities', { rtpCapabilities: plan.recvCapabilities });

    // PROTOCOL.md: `peers` lists the others present at join, in join order.
    const toConsume: ProducerRef[] = [];
    for (const peer of join.peers) {
      if (peer.peerId === join.peerId) continue;
      selector.peerJoined(peer.peerId);
      for (const p of peer.producers) {
        if (p.kind === 'audio') toConsume.push({ producerId: p.producerId, peerId: peer.peerId, kind: 'audio' });
        else selector.videoProducerAdded(peer.peerId, p.producerId);
      }
    }
    const video = this.videoTx ? selector.select() : undefined;
    if (video) toConsume.push({ ...video, kind: 'video' });
    await this.consume(toConsume);
  }

  private createPeerConnection(plan: MediaPlan, transport: TransportResponse): RTCPeerConnection {
    const remoteAddresses = transport.iceCandidates.map((c) => c.address ?? c.ip ?? '');
    const loopbackOnly = remoteAddresses.length > 0 && remoteAddresses.every(isLoopback);
    const pc = createLegPeerConnection(plan, this.opts.ice ?? (loopbackOnly ? LOOPBACK_ICE : {}));
    this.pc = pc;
    const sub = pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed') this.end('ICE/DTLS failed');
      else if (state === 'closed' && this.pc === pc) this.end('peer connection closed');
      else if (state === 'disconnected') this.logger.warn('meeting leg ICE disconnected');
    });
    this.disposers.push(() => sub.unSubscribe());
    return pc;
  }

  private waitConnected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error): void => {
        clearTimeout(timer);
        sub.unSubscribe();
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => done(new MeetingMediaError(`ICE/DTLS not connected within ${timeoutMs} ms`)), timeoutMs);
      const sub = pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') done();
        else if (state === 'failed' || state === 'closed') done(new MeetingMediaError(`ICE/DTLS ${state} during join`));
      });
      this.disposers.push(() => done(new MeetingEndedError(this.endReason ?? 'leg closed')));
    });
  }

  private async produce(kind: MediaKind, tx: RTCRtpTransceiver): Promise<void> {
    const rtpParameters = producerRtpParameters(tx, this.pc!.cname);
    const res = parseResponse(
      produceResponseSchema,
      'produce',
      await this.client.request('produce', { transportId: this.transport!.transportId, kind, rtpParameters }),
    );
    this.producerIds.push(res.producerId);
  }

  // ---- negotiation ---------------------------------------------------------------------------

  /** One local offer/answer round (RFC 8829 5.2 offer by werift, 5.3 answer written here). */
  private async applyAnswer(pc: RTCPeerConnection): Promise<void> {
    if (pc.signalingState === 'stable') {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
    }
    const sdp = buildRemoteAnswer({
      offerSdp: pc.localDescription!.sdp,
      transport: this.transport!,
      planFor: (mid) => this.planFor(mid),
      sessionVersion: this.sessionVersion++,
    });
    await pc.setRemoteDescription({ type: 'answer', sdp });
    this.negotiations++;
  }

  private planFor(mid: string): SectionPlan {
    if (this.audioTx?.mid === mid || this.videoTx?.mid === mid) return { role: 'send' };
    const slot = this.slots.find((s) => s.transceiver.mid === mid);
    if (slot?.consumer) return { role: 'recv', consumer: slot.consumer };
    return { role: 'idle' };
  }

  /** Consumes producers, one negotiation for the batch, then resumes them (PROTOCOL.md). */
  private async consume(refs: ProducerRef[]): Promise<void> {
    const pc = this.pc;
    if (!pc || refs.length === 0) return;
    const fresh: ConsumerState[] = [];
    for (const ref of refs) {
      if (this.consumedProducers.has(ref.producerId)) continue;
      this.consumedProducers.add(ref.producerId);
      let res;
      try {
        res = parseResponse(
          consumeResponseSchema,
          'consume',
          await this.client.request('consume', { transportId: this.transport!.transportId, producerId: ref.producerId }),
        );
        if (res.kind !== ref.kind) throw new MeetingProtocolError(`consume: producer ${ref.producerId} is ${res.kind}, announced ${ref.kind}`);
        if (res.rtpParameters.encodings[0]?.ssrc === undefined) throw new MeetingProtocolError(`consume: consumer ${res.consumerId} has no SSRC`);
      } catch (error) {
        this.consumedProducers.delete(ref.producerId);
        if (this.state === 'ended') throw error;
        this.logger.warn('could not consume producer', { producerId: ref.producerId, peerId: ref.peerId, kind: ref.kind, error: (error as Error).message });
        if (ref.kind === 'video') this.selector?.videoProducerClosed(ref.producerId);
        continue;
      }
      const slot = this.takeSlot(pc, ref.kind);
      const layerBitrates = res.kind === 'video' ? spatialLayerBitrates(res.rtpParameters, res.layerBitrates) : undefined;
      const consumer: ConsumerState = {
        consumerId: res.consumerId,
        producerId: ref.producerId,
        peerId: ref.peerId,
        kind: ref.kind,
        ssrc: res.rtpParameters.encodings[0]!.ssrc!,
        rtpParameters: res.rtpParameters,
        slot,
        paused: false,
        ...(layerBitrates ? { layerBitrates } : {}),
      };
      slot.consumer = consumer;
      this.consumersById.set(consumer.consumerId, consumer);
      fresh.push(consumer);
    }
    if (fresh.length === 0) return;
    await this.applyAnswer(pc);
    // before the resume, so the first frames forwarded are already of the layer that fits
    if (fresh.some((c) => c.kind === 'video')) await this.fitVideoLayer();
    for (const consumer of fresh) {
      if (this.consumersById.get(consumer.consumerId) !== consumer) continue; // closed meanwhile
      // The receiver now knows the SSRC: packets are delivered from here on.
      this.consumersBySsrc.set(consumer.ssrc, consumer);
      await this.client.request('resumeConsumer', { consumerId: consumer.consumerId }).catch((error: Error) => {
        if (this.state === 'ended') throw error;
        this.logger.warn('resumeConsumer failed', { consumerId: consumer.consumerId, error: error.message });
      });
    }
    if (fresh.some((c) => c.kind === 'video')) {
      this.logger.info('meeting leg video source', { peerId: this.currentVideoConsumer()?.peerId });
    }
  }

  private takeSlot(pc: RTCPeerConnection, kind: MediaKind): RecvSlot {
    const free = this.slots.find((s) => s.kind === kind && !s.consumer);
    if (free) return free;
    const slot: RecvSlot = { kind, transceiver: pc.addTransceiver(kind, { direction: 'recvonly' }) };
    this.slots.push(slot);
    return slot;
  }

  private releaseConsumer(consumer: ConsumerState): void {
    if (this.consumersById.get(consumer.consumerId) !== consumer) return;
    this.consumersById.delete(consumer.consumerId);
    if (this.consumersBySsrc.get(consumer.ssrc) === consumer) this.consumersBySsrc.delete(consumer.ssrc);
    this.consumedProducers.delete(consumer.producerId);
    consumer.slot.consumer = undefined;
  }

  private currentVideoConsumer(): ConsumerState | undefined {
    const chosen = this.selector?.current;
    if (!chosen) return undefined;
    for (const c of this.consumersById.values()) if (c.producerId === chosen.producerId) return c;
    return undefined;
  }

  /** Consumes the selected video source if we do not have it (after a leave/close, or a first producer). */
  private async reconcileVideo(): Promise<void> {
    if (!this.videoTx || !this.selector) return;
    for (let attempt = 0; attempt < 8; attempt++) {
      const chosen = this.selector.select();
      if (!chosen) return;
      if (this.consumedProducers.has(chosen.producerId)) {
        const paused = this.currentVideoConsumer();
        if (paused?.paused) {
          paused.paused = false;
          await this.client.request('resumeConsumer', { consumerId: paused.consumerId });
        }
        return;
      }
      await this.consume([{ ...chosen, kind: 'video' }]);
      if (this.consumedProducers.has(chosen.producerId)) return;
      // consume failed: the selector dropped that producer, try the next choice
    }
  }

  // ---- notifications -------------------------------------------------------------------------

  private onNotification(name: string, data: Record<string, unknown>): void {
    if (!Object.hasOwn(notificationSchemas, name)) {
      this.logger.debug('meeting notification ignored', { name: name.slice(0, 50) });
      return;
    }
    const n = name as NotificationName;
    const parsed = notificationSchemas[n].safeParse(data);
    if (!parsed.success) {
      this.logOnce(`notif:${n}`, 'meeting sent an invalid notification: ignored', { name: n, issue: parsed.error.issues[0]?.message });
      return;
    }
    if (n === 'dtmfRequest') {
      // no media state involved: straight to the call, in arrival order
      const d = parsed.data as { digit: string; durationMs?: number; fromPeerId?: string };
      this.dtmfCounts.requested++;
      this.emit('dtmf-request', d.digit, d.durationMs, d.fromPeerId ?? '');
      return;
    }
    if (n === 'roomClosed') {
      const d = parsed.data as { reason?: string };
      this.end(`room closed${d.reason ? `: ${d.reason}` : ''}`);
      return;
    }
    // Everything else mutates consumer state: in order, after setup and earlier operations.
    this.enqueue(() => this.applyNotification(n, parsed.data as Record<string, unknown>)).catch(() => {});
  }

  private async applyNotification(name: NotificationName, data: Record<string, unknown>): Promise<void> {
    const selector = this.selector;
    if (!selector) return;
    switch (name) {
      case 'peerJoined':
        selector.peerJoined(String(data.peerId));
        return;
      case 'peerLeft': {
        const peerId = String(data.peerId);
        selector.peerLeft(peerId);
        for (const c of [...this.consumersById.values()]) if (c.peerId === peerId) this.releaseConsumer(c);
        await this.reconcileVideo();
        return;
      }
      case 'newProducer': {
        const ref: ProducerRef = { producerId: String(data.producerId), peerId: String(data.peerId), kind: data.kind as MediaKind };
        if (ref.peerId === this.peerIdValue) return;
        if (ref.kind === 'audio') await this.consume([ref]);
        else {
          selector.videoProducerAdded(ref.peerId, ref.producerId);
          await this.reconcileVideo();
        }
        return;
      }
      case 'producerClosed': {
        const producerId = String(data.producerId);
        selector.videoProducerClosed(producerId);
        for (const c of [...this.consumersById.values()]) if (c.producerId === producerId) this.releaseConsumer(c);
        await this.reconcileVideo();
        return;
      }
      case 'activeSpeaker': {
        if (!this.videoTx) return;
        const before = this.currentVideoConsumer();
        const next = selector.speakerChanged(String(data.peerId));
        if (next) await this.switchVideo(before, next.peerId);
        return;
      }
      case 'consumerClosed': {
        const consumer = this.consumersById.get(String(data.consumerId));
        if (!consumer) return;
        this.releaseConsumer(consumer);
        if (consumer.kind === 'video') {
          selector.videoProducerClosed(consumer.producerId);
          await this.reconcileVideo();
        }
        return;
      }
      default:
        return;
    }
  }

  /**
   * Make-before-break switch to the selector's new choice: consume (or resume) it, then pause the
   * previous source in the meeting so no unwanted video flows. The bridge holds the new source's
   * packets until its keyframe, which the meeting requests on resume and the bridge asks for too.
   */
  private async switchVideo(previous: ConsumerState | undefined, peerId: string): Promise<void> {
    this.videoSwitches.push({ atMs: Date.now(), peerId, ...(previous ? { fromPeerId: previous.peerId } : {}) });
    if (this.videoSwitches.length > MAX_RECORDED_SWITCHES) this.videoSwitches.shift();
    this.logger.info('meeting leg video source switched (active speaker)', { from: previous?.peerId, to: peerId });
    const next = this.currentVideoConsumer();
    if (next?.paused) {
      next.paused = false;
      await this.fitVideoLayer(); // the room's limit may have changed while it was paused
      await this.client.request('resumeConsumer', { consumerId: next.consumerId });
    } else if (!next) {
      await this.reconcileVideo();
    }
    await this.fitVideoLayer(); // no-op unless a path above resumed a source without it
    if (previous && previous !== this.currentVideoConsumer() && !previous.paused) {
      previous.paused = true;
      await this.client.request('pauseConsumer', { consumerId: previous.consumerId }).catch((error: Error) => {
        previous.paused = false;
        if (this.state !== 'ended') this.logger.warn('pauseConsumer failed', { consumerId: previous.consumerId, error: error.message });
      });
    }
  }

  /** Asks for the current video source's spatial layer that fits the room's limit, if it changed. */
  private async fitVideoLayer(): Promise<void> {
    const consumer = this.currentVideoConsumer();
    const ask = (consumerId: string, spatialLayer: number) => this.client.request('setConsumerPreferredLayers', { consumerId, spatialLayer });
    await this.layerFit.fit(consumer, ask).then(
      (layer) => layer !== undefined && this.logger.info('meeting leg video layer for the room', { peerId: consumer?.peerId, limitBps: this.layerFit.limitBps, layer }),
      (error: Error) => this.state !== 'ended' && this.logOnce('layers', 'setConsumerPreferredLayers failed', { error: error.message }),
    );
  }

  // ---- media ---------------------------------------------------------------------------------

  private sendOn(tx: RTCRtpTransceiver | undefined, kind: MediaKind, rtp: Buffer): void {
    const counts = this.counts[kind];
    if (this.state !== 'connected' || !tx) {
      counts.sendDropped++;
      return;
    }
    const out = toOutboundPacket(rtp);
    if (!out.ok) {
      counts.sendDropped++;
      this.logOnce(`send:${kind}`, 'dropping malformed outbound RTP', { kind, error: out.error });
      return;
    }
    counts.packetsSent++;
    counts.bytesSent += rtp.length;
    tx.sender.sendRtp(out.packet).catch((error: Error) => this.logOnce(`sendRtp:${kind}`, 'werift sendRtp failed', { kind, error: error.message }));
  }

  /** A decrypted RTP packet from the meeting (werift's buffer: copied before it is handed on). */
  private onRtp(packet: Buffer): void {
    if (packet.length < RTP_FIXED_HEADER_BYTES) return;
    const consumer = this.consumersBySsrc.get(packet.readUInt32BE(8));
    if (!consumer) {
      this.unknownSsrcPackets++;
      return;
    }
    const counts = this.counts[consumer.kind];
    counts.packetsReceived++;
    counts.bytesReceived += packet.length;
    if (consumer.kind === 'audio') {
      this.emit('audio', consumer.peerId, Buffer.from(packet));
    } else if (consumer === this.currentVideoConsumer()) {
      this.emit('video', Buffer.from(packet));
    }
  }

  /** A decrypted compound RTCP packet: PLI/FIR for our video producer become 'keyframe-request'. */
  private onRtcp(packet: Buffer): void {
    const scan = scanKeyframeRequests(packet);
    if (scan.error) {
      this.malformedRtcp++;
      this.logOnce('rtcp', 'malformed RTCP from the meeting (rest of datagram skipped)', { error: scan.error });
    }
    const videoSsrc = this.videoTx?.sender.ssrc;
    if (videoSsrc === undefined) return;
    for (const request of scan.requests) {
      if (request.mediaSsrc !== videoSsrc) continue;
      if (request.kind === 'fir') {
        // RFC 5104 4.3.1.2: a FIR repeating the last sequence number is a retransmission
        if (request.firSeq === this.lastFirSeq) continue;
        this.lastFirSeq = request.firSeq;
      }
      this.keyframeRequestsReceived++;
      this.emit('keyframe-request');
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.state === 'ended' ? undefined : fn()));
    this.queue = run.catch((error: Error) => {
      if (this.state !== 'ended') this.logger.warn('meeting leg operation failed', { error: error.message });
    });
    return run;
  }

  private logOnce(key: string, message: string, meta: object): void {
    if (this.loggedOnce.has(key)) return;
    this.loggedOnce.add(key);
    this.logger.warn(message, { peerId: this.peerIdValue, ...meta });
  }
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}

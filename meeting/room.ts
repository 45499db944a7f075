import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import type { MeetingLogger } from './logger.ts';
import { layerBitrates } from './consumer-layers.ts';
import { DominantSpeaker } from './dominant-speaker.ts';
import { routerMediaCodecs } from './media-codecs.ts';
import { MeetingPeer } from './peer.ts';
import type { NotificationName, PeerInfo } from './protocol.ts';

/** Where WebRTC transports listen and what they announce. */
export interface RtcListenConfig {
  /** Local IP the RTC sockets bind to. Default 127.0.0.1. */
  listenIp: string;
  /** IP or hostname written into ICE candidates instead of listenIp. Default none. */
  announcedAddress?: string;
  /** Inclusive RTC port range. Default mediasoup's 10000-59999. */
  portRange?: { min: number; max: number };
}

/** Per-peer limits, so one socket cannot exhaust the worker's ports or CPU. */
const MAX_TRANSPORTS_PER_PEER = 4;
const MAX_PRODUCERS_PER_PEER = 8;
/** Audio level report interval; a new speaker is announced after two reports (≈ 0.6 s). */
const SPEAKER_INTERVAL_MS = 300;

/** A participant pressed a key (in practice a SIP room, through the gateway's leg). */
export interface RoomDtmfEvent {
  peerId: string;
  displayName: string;
  digit: string;
  durationMs?: number;
  /** Date.now() when the meeting received it. */
  at: number;
}

/** DTMF seen by the room, for GET /api/rooms. */
export interface RoomDtmfSummary {
  /** Keys participants reported (`dtmf`). */
  received: number;
  /** The last reported keys, oldest first (up to 32). */
  lastDigits: string;
  /** Keys sent toward a participant (`sendDtmf`). */
  requested: number;
}

/** One video consumer, for monitoring (PROTOCOL.md GET /api/rooms). */
export interface VideoConsumerInfo {
  /** The consuming peer. */
  peerId: string;
  consumerId: string;
  producerId: string;
  type: types.ConsumerType;
  paused: boolean;
  /** Layers asked for (setConsumerPreferredLayers); null for a single-layer consumer. */
  preferredLayers: types.ConsumerLayers | null;
  /** Layers being forwarded now; null when none (paused, or no packets yet). */
  currentLayers: types.ConsumerLayers | null;
}

export interface RoomEvents {
  /** The room closed (last peer left, admin close or worker death). Emitted once. */
  closed: [reason: string];
  /** A participant reported a key: for meeting logic (PIN entry, controls). */
  dtmf: [event: RoomDtmfEvent];
}

const LAST_DIGITS = 32;

/**
 * One meeting: a mediasoup router, its peers and an active-speaker observer.
 * Closing is idempotent: every peer gets `roomClosed`, then the router closes, which closes
 * every transport, producer and consumer of the room.
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly peers = new Map<string, MeetingPeer>();
  private closedFlag = false;
  private readonly dominant = new DominantSpeaker();
  private readonly dtmfSummaryValue: RoomDtmfSummary = { received: 0, lastDigits: '', requested: 0 };

  private constructor(
    readonly id: string,
    private readonly router: types.Router,
    private readonly speakerObserver: types.AudioLevelObserver,
    private readonly rtc: RtcListenConfig,
    private readonly log: MeetingLogger,
  ) {
    super();
    // every session of the room listens for 'closed' (one per peer): a large meeting has thousands
    this.setMaxListeners(0);
    // only the worker's death closes a router behind our back
    router.observer.on('close', () => this.close('media server failure'));
    speakerObserver.on('volumes', (volumes) => {
      const loudest = (volumes[0]?.producer.appData as { peerId?: string } | undefined)?.peerId;
      this.onSpeakerReport(loudest);
    });
    speakerObserver.on('silence', () => this.onSpeakerReport(undefined));
  }

  private onSpeakerReport(loudestPeerId: string | undefined): void {
    const changed = this.dominant.report(loudestPeerId);
    if (changed === undefined) return;
    this.log.debug('active speaker', { roomId: this.id, peerId: changed });
    this.broadcast('activeSpeaker', { peerId: changed });
  }

  /** The current active speaker, if any (sent to a peer that joins, PROTOCOL.md activeSpeaker). */
  get activeSpeaker(): string | undefined {
    return this.dominant.speaker;
  }

  static async create(worker: types.Worker, id: string, rtc: RtcListenConfig, log: MeetingLogger): Promise<Room> {
    const router = await worker.createRouter({ mediaCodecs: routerMediaCodecs, appData: { roomId: id } });
    // Levels from the RFC 6464 header extension, averaged per interval; -70 dBov ≈ a quiet talker.
    const observer = await router.createAudioLevelObserver({ maxEntries: 1, threshold: -70, interval: SPEAKER_INTERVAL_MS });
    return new Room(id, router, observer, rtc, log);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.router.rtpCapabilities;
  }

  peerInfos(except?: MeetingPeer): PeerInfo[] {
    return [...this.peers.values()].filter((p) => p !== except).map((p) => p.info());
  }

  addPeer(peer: MeetingPeer): void {
    if (this.closedFlag) throw new Error('room is closed');
    this.broadcast('peerJoined', { peerId: peer.id, displayName: peer.displayName, kind: peer.kind });
    this.peers.set(peer.id, peer);
  }

  /** The peer left (socket closed or `leave`); the room closes when it was the last one. */
  removePeer(peer: MeetingPeer): void {
    if (this.peers.get(peer.id) !== peer) return;
    this.peers.delete(peer.id);
    peer.close();
    this.dominant.forget(peer.id);
    this.broadcast('peerLeft', { peerId: peer.id });
    if (this.peers.size === 0) this.close('last peer left');
  }

  async createTransport(peer: MeetingPeer, direction: 'send' | 'recv' | 'both'): Promise<Record<string, unknown>> {
    if (peer.transports.size >= MAX_TRANSPORTS_PER_PEER) throw new Error('too many transports');
    const { listenIp, announcedAddress, portRange } = this.rtc;
    const listen = (protocol: 'udp' | 'tcp'): types.TransportListenInfo => ({
      protocol,
      ip: listenIp,
      ...(announcedAddress ? { announcedAddress } : {}),
      ...(portRange ? { portRange } : {}),
    });
    const transport = await this.router.createWebRtcTransport({
      listenInfos: [listen('udp'), listen('tcp')],
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { peerId: peer.id, direction },
    });
    if (peer.closed) {
      transport.close();
      throw new Error('peer left');
    }
    peer.transports.set(transport.id, transport);
    transport.observer.on('close', () => peer.transports.delete(transport.id));
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') {
        this.log.warn('transport DTLS ended', { roomId: this.id, peerId: peer.id, transportId: transport.id, state });
      }
    });
    return {
      transportId: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async produce(
    peer: MeetingPeer,
    transportId: string,
    kind: types.MediaKind,
    rtpParameters: types.RtpParameters,
    appData: Record<string, unknown> = {},
  ): Promise<string> {
    const transport = peer.transport(transportId);
    if (peer.producers.size >= MAX_PRODUCERS_PER_PEER) throw new Error('too many producers');
    const producer = await transport.produce({ kind, rtpParameters, appData: { ...appData, peerId: peer.id } });
    peer.producers.set(producer.id, producer);
    this.log.debug('producer created', {
      roomId: this.id, peerId: peer.id, producerId: producer.id, kind,
      headerExtensions: (rtpParameters.headerExtensions ?? []).map((x) => x.uri),
    });
    producer.observer.on('close', () => {
      peer.producers.delete(producer.id);
      if (!this.closedFlag) this.broadcast('producerClosed', { producerId: producer.id, peerId: peer.id }, peer);
    });
    if (kind === 'audio') {
      this.speakerObserver.addProducer({ producerId: producer.id }).catch((err: Error) => {
        this.log.debug('active speaker observer refused producer', { roomId: this.id, error: err.message });
      });
    }
    this.broadcast(
      'newProducer',
      { peerId: peer.id, displayName: peer.displayName, producerId: producer.id, kind },
      peer,
    );
    return producer.id;
  }

  closeProducer(peer: MeetingPeer, producerId: string): void {
    const producer = peer.producers.get(producerId);
    if (!producer) throw new Error(`no such producer: ${producerId}`);
    producer.close();
  }

  async consume(peer: MeetingPeer, transportId: string, producerId: string): Promise<Record<string, unknown>> {
    if (!peer.rtpCapabilities) throw new Error('setRtpCapabilities first');
    const transport = peer.transport(transportId);
    const owner = [...this.peers.values()].find((p) => p.producers.has(producerId));
    if (!owner) throw new Error(`no such producer: ${producerId}`);
    if (!this.router.canConsume({ producerId, rtpCapabilities: peer.rtpCapabilities })) {
      throw new Error('cannot consume: no common codec');
    }
    const consumer = await transport.consume({ producerId, rtpCapabilities: peer.rtpCapabilities, paused: true });
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.on('close', () => peer.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      peer.consumers.delete(consumer.id);
      peer.notify('consumerClosed', { consumerId: consumer.id, producerId });
    });
    return {
      consumerId: consumer.id,
      producerId,
      peerId: owner.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: true,
      type: consumer.type,
      ...withLayerBitrates(layerBitrates(owner.producers.get(producerId))),
    };
  }

  /**
   * A participant reports a key it received (PROTOCOL.md `dtmf`): every other peer gets
   * `participantDtmf` naming it, and the room emits 'dtmf' once.
   */
  reportDtmf(peer: MeetingPeer, digit: string, durationMs?: number): void {
    const s = this.dtmfSummaryValue;
    s.received++;
    s.lastDigits = (s.lastDigits + digit).slice(-LAST_DIGITS);
    const data = { peerId: peer.id, displayName: peer.displayName, digit, ...(durationMs !== undefined ? { durationMs } : {}) };
    this.broadcast('participantDtmf', data, peer);
    this.emit('dtmf', { ...data, at: Date.now() });
  }

  /**
   * Ask participant `toPeerId` to send a key to its room (PROTOCOL.md `sendDtmf`). Only gateway
   * peers carry calls that can play a key, so other targets are refused.
   */
  requestDtmf(from: MeetingPeer, toPeerId: string, digit: string, durationMs?: number): void {
    const target = this.peers.get(toPeerId);
    if (!target) throw new Error(`no such peer: ${toPeerId.slice(0, 100)}`);
    if (target.kind !== 'gateway') throw new Error('that peer cannot receive DTMF (not a gateway participant)');
    this.dtmfSummaryValue.requested++;
    target.notify('dtmfRequest', {
      digit,
      ...(durationMs !== undefined ? { durationMs } : {}),
      fromPeerId: from.id,
      fromDisplayName: from.displayName,
    });
  }

  /** Every video consumer of the room and the layers it forwards (GET /api/rooms `videoConsumers`). */
  videoConsumerInfos(): VideoConsumerInfo[] {
    const out: VideoConsumerInfo[] = [];
    for (const p of this.peers.values()) {
      for (const c of p.consumers.values()) {
        if (c.kind !== 'video') continue;
        out.push({
          peerId: p.id, consumerId: c.id, producerId: c.producerId, type: c.type, paused: c.paused,
          preferredLayers: c.preferredLayers ?? null, currentLayers: c.currentLayers ?? null,
        });
      }
    }
    return out;
  }

  dtmfSummary(): RoomDtmfSummary {
    return { ...this.dtmfSummaryValue };
  }

  /** Notify every peer except `except`. */
  broadcast(notification: NotificationName, data: Record<string, unknown>, except?: MeetingPeer): void {
    for (const p of this.peers.values()) if (p !== except) p.notify(notification, data);
  }

  close(reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of this.peers.values()) {
      p.notify('roomClosed', { roomId: this.id, reason });
      p.close();
    }
    this.peers.clear();
    if (!this.router.closed) this.router.close();
    this.log.info('room closed', { roomId: this.id, reason });
    this.emit('closed', reason);
  }

  counts(): { peers: number; transports: number; producers: number; consumers: number } {
    let transports = 0;
    let producers = 0;
    let consumers = 0;
    for (const p of this.peers.values()) {
      transports += p.transports.size;
      producers += p.producers.size;
      consumers += p.consumers.size;
    }
    return { peers: this.peers.size, transports, producers, consumers };
  }
}

function withLayerBitrates(bitrates: number[] | undefined): { layerBitrates?: number[] } {
  return bitrates ? { layerBitrates: bitrates } : {};
}

import { Device, type types } from 'mediasoup-client';
import { tapEncodedFrames } from './encoded-capture.ts';
import type { LocalMedia } from './local-media.ts';
import { SignallingClient } from './signalling-client.ts';
import type { TileGrid } from './tiles.ts';

/** What the page knows about one remote participant. */
export interface RemotePeer {
  peerId: string;
  displayName: string;
  consumers: Map<string, types.Consumer>;
  /** Encoded Opus frames received from this peer, oldest first. */
  audioFrames: Uint8Array[];
}

/** A key another participant pressed (PROTOCOL.md `participantDtmf`). */
export interface DtmfNotice {
  peerId: string;
  displayName: string;
  digit: string;
  durationMs?: number;
  /** Date.now() on arrival. */
  at: number;
}

/** How the page publishes. */
export interface PublishOptions {
  /** Camera as three simulcast encodings (SIMULCAST_ENCODINGS) instead of one. Default false. */
  simulcast?: boolean;
}

/**
 * The simulcast layers, lowest first (mediasoup: encoding index = spatial layer): a quarter,
 * half and full size, each with a bit rate cap so a gateway can pick the one that fits its room.
 */
export const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

export interface MeetingClientEvents {
  status(text: string): void;
  ended(reason: string): void;
  dtmf?(event: DtmfNotice): void;
}

/**
 * Joins one room over the signalling socket with mediasoup-client: one send transport
 * (camera with H.264 preferred, microphone), one recv transport consuming every other peer.
 */
export class MeetingClient {
  readonly peers = new Map<string, RemotePeer>();
  private signalling?: SignallingClient;
  private device?: Device;
  private recvTransport?: types.Transport;
  private sendTransport?: types.Transport;
  private ended = false;
  /** The camera producer, once published. */
  videoProducer?: types.Producer;
  /** Why the meeting ended for this page (server's roomClosed reason, or the socket closing). */
  endReason?: string;

  constructor(
    private readonly tiles: TileGrid,
    private readonly events: MeetingClientEvents,
  ) {}

  async join(wsUrl: string, roomId: string, displayName: string, media: LocalMedia, publish: PublishOptions = {}): Promise<void> {
    try {
      await this.joinSteps(wsUrl, roomId, displayName, media, publish);
    } catch (err) {
      const why = this.endReason ? `meeting ended while joining (${this.endReason}): ` : '';
      throw new Error(`${why}${(err as Error).message}`);
    }
  }

  private async joinSteps(wsUrl: string, roomId: string, displayName: string, media: LocalMedia, publish: PublishOptions): Promise<void> {
    this.signalling = await SignallingClient.connect(
      wsUrl,
      (name, data) => this.onNotification(name, data),
      () => this.end('Disconnected from the meeting', 'signalling closed'),
    );
    const joined = await this.signalling.request('join', { roomId, displayName, kind: 'browser' });
    this.device = await Device.factory();
    await this.device.load({ routerRtpCapabilities: joined.routerRtpCapabilities });
    await this.signalling.request('setRtpCapabilities', { rtpCapabilities: this.device.rtpCapabilities });
    this.recvTransport = await this.createTransport('recv');
    this.sendTransport = await this.createTransport('send');
    for (const p of joined.peers) {
      this.addPeer(p.peerId, p.displayName);
      for (const prod of p.producers) void this.consume(prod.producerId, p.peerId);
    }
    await this.publish(media, publish);
  }

  leave(): void {
    this.ended = true;
    this.signalling?.close();
    this.sendTransport?.close();
    this.recvTransport?.close();
  }

  private async createTransport(direction: 'send' | 'recv'): Promise<types.Transport> {
    const s = this.signalling!;
    const info = await s.request('createWebRtcTransport', { direction });
    const options = {
      id: info.transportId,
      iceParameters: info.iceParameters,
      iceCandidates: info.iceCandidates,
      dtlsParameters: info.dtlsParameters,
    };
    const transport =
      direction === 'send'
        ? this.device!.createSendTransport(options)
        : // every receiver of this connection is piped through tapEncodedFrames (encoded-capture.ts)
          this.device!.createRecvTransport({
            ...options,
            additionalSettings: { encodedInsertableStreams: true } as Partial<RTCConfiguration>,
          });
    transport.on('connect', ({ dtlsParameters }, ok, fail) => {
      s.request('connectWebRtcTransport', { transportId: transport.id, dtlsParameters }).then(() => ok(), fail);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
      s.request('produce', { transportId: transport.id, kind, rtpParameters, appData }).then(
        (r: { producerId: string }) => ok({ id: r.producerId }),
        fail,
      );
    });
    transport.on('connectionstatechange', (state) => {
      if (state === 'failed') this.events.status(`Media connection (${direction}) failed`);
    });
    return transport;
  }

  private async publish(media: LocalMedia, opts: PublishOptions): Promise<void> {
    const t = this.sendTransport!;
    if (media.audio) await t.produce({ track: media.audio, appData: { source: 'mic' } });
    if (media.video) {
      // PROTOCOL.md "Media": browsers send H.264 (packetization-mode 1) so rooms need no transcoding
      const h264 = this.device!.rtpCapabilities.codecs?.find(
        (c) => c.mimeType.toLowerCase() === 'video/h264' && c.parameters?.['packetization-mode'] === 1,
      );
      this.videoProducer = await t.produce({
        track: media.video,
        ...(h264 ? { codec: h264 } : {}),
        ...(opts.simulcast ? { encodings: SIMULCAST_ENCODINGS.map((e) => ({ ...e })) } : {}),
        appData: { source: 'camera' },
      });
      if (opts.simulcast) await keepResolution(this.videoProducer.rtpSender);
    }
  }

  private addPeer(peerId: string, displayName: string): void {
    if (this.peers.has(peerId)) return;
    this.peers.set(peerId, { peerId, displayName, consumers: new Map(), audioFrames: [] });
    this.tiles.addPeer(peerId, displayName);
  }

  private removePeer(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    for (const c of peer.consumers.values()) c.close();
    this.peers.delete(peerId);
    this.tiles.removePeer(peerId);
  }

  private async consume(producerId: string, peerId: string): Promise<void> {
    try {
      const s = this.signalling!;
      const info = await s.request('consume', { transportId: this.recvTransport!.id, producerId });
      const peer = this.peers.get(peerId);
      if (!peer) return;
      const consumer = await this.recvTransport!.consume({
        id: info.consumerId,
        producerId,
        kind: info.kind,
        rtpParameters: info.rtpParameters,
        onRtpReceiver: (r) => tapEncodedFrames(r, info.kind === 'audio' ? peer.audioFrames : undefined),
      });
      peer.consumers.set(consumer.id, consumer);
      consumer.observer.on('close', () => {
        peer.consumers.delete(consumer.id);
        this.tiles.detachTrack(peerId, consumer.track);
      });
      this.tiles.attachTrack(peerId, consumer.track);
      await s.request('resumeConsumer', { consumerId: consumer.id });
    } catch (err) {
      if (!this.ended) console.warn(`meeting: cannot consume ${producerId}: ${(err as Error).message}`);
    }
  }

  /** Ask a (gateway) participant to play a key to its room (PROTOCOL.md `sendDtmf`). */
  async sendDtmf(toPeerId: string, digit: string, durationMs?: number): Promise<void> {
    if (!this.signalling) throw new Error('not joined');
    await this.signalling.request('sendDtmf', { toPeerId, digit, ...(durationMs !== undefined ? { durationMs } : {}) });
  }

  private onNotification(name: string, data: Record<string, any>): void {
    switch (name) {
      case 'participantDtmf':
        this.events.dtmf?.({
          peerId: String(data.peerId),
          displayName: String(data.displayName ?? ''),
          digit: String(data.digit),
          ...(typeof data.durationMs === 'number' ? { durationMs: data.durationMs } : {}),
          at: Date.now(),
        });
        return;
      case 'peerJoined':
        return this.addPeer(data.peerId, data.displayName);
      case 'peerLeft':
        return this.removePeer(data.peerId);
      case 'newProducer':
        this.addPeer(data.peerId, data.displayName);
        void this.consume(data.producerId, data.peerId);
        return;
      case 'consumerClosed':
        for (const p of this.peers.values()) p.consumers.get(data.consumerId)?.close();
        return;
      case 'activeSpeaker':
        return this.tiles.setActiveSpeaker(data.peerId);
      case 'roomClosed':
        return this.end('The meeting has ended', String(data.reason ?? 'room closed'));
    }
  }

  private end(message: string, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endReason = reason;
    for (const id of [...this.peers.keys()]) this.removePeer(id);
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.events.ended(message);
  }
}

/**
 * Under CPU load Chromium lowers the camera's resolution by default, and a 1280×720 input that
 * shrinks loses its top simulcast layer (layer count follows resolution). For simulcast the page
 * asks the encoder to drop frame rate instead (W3C webrtc-pc RTCDegradationPreference).
 */
async function keepResolution(sender: RTCRtpSender | undefined): Promise<void> {
  if (!sender) return;
  const params = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: string };
  params.degradationPreference = 'maintain-resolution';
  try {
    await sender.setParameters(params);
  } catch (err) {
    console.warn(`meeting: cannot set degradationPreference: ${(err as Error).message}`);
  }
}

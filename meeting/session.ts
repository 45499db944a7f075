import { randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import { WebSocket, type RawData } from 'ws';
import { setPreferredLayers } from './consumer-layers.ts';
import type { MeetingLogger } from './logger.ts';
import { MeetingPeer } from './peer.ts';
import { isFrameError, parseRequest, type Notification, type ValidRequest } from './protocol.ts';
import type { Room } from './room.ts';
import type { RoomRegistry } from './room-registry.ts';

/** Bad frames logged per socket before the rest are only counted (logged once at close). */
const BAD_FRAME_LOG_LIMIT = 5;

/**
 * One WebSocket: parses requests, runs them one at a time in arrival order, answers each by id.
 * Closing the socket is leaving the room (PROTOCOL.md "Frames").
 */
export class SignallingSession {
  private peer?: MeetingPeer;
  private room?: Room;
  /** This session's 'closed' listener on its room, removed on leave (the room outlives the session). */
  private onRoomClosed?: () => void;
  private queue: Promise<void> = Promise.resolve();
  private socketClosed = false;
  private badFrames = 0;
  private readonly log: MeetingLogger;

  constructor(
    private readonly socket: WebSocket,
    private readonly rooms: RoomRegistry,
    log: MeetingLogger,
    remote: string,
  ) {
    this.log = withMeta(log, { remote });
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('close', () => this.onSocketClosed());
    socket.on('error', (err) => this.log.warn('signalling socket error', { error: err.message }));
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (isBinary) return this.refuse({ error: 'malformed frame: binary frames are not allowed' });
    const parsed = parseRequest(rawToString(data));
    if (isFrameError(parsed)) return this.refuse(parsed);
    this.queue = this.queue.then(() => this.run(parsed));
  }

  private refuse(err: { id?: number; error: string }): void {
    this.badFrames++;
    if (this.badFrames <= BAD_FRAME_LOG_LIMIT) {
      this.log.warn('refused signalling frame', { peerId: this.peer?.id, roomId: this.room?.id, error: err.error });
    }
    if (err.id !== undefined) this.sendFrame({ id: err.id, ok: false, error: err.error });
  }

  private async run(req: ValidRequest): Promise<void> {
    this.log.debug('signalling request', { method: req.method, peerId: this.peer?.id, data: req.data });
    try {
      const data = await this.handle(req);
      this.sendFrame({ id: req.id, ok: true, data });
      if (req.method === 'leave') this.socket.close(1000, 'left');
      // PROTOCOL.md activeSpeaker: a peer that joins learns who is speaking right after its answer
      const speaker = req.method === 'join' ? this.room?.activeSpeaker : undefined;
      if (speaker) this.sendFrame({ notification: 'activeSpeaker', data: { peerId: speaker } });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.warn('signalling request failed', { method: req.method, peerId: this.peer?.id, roomId: this.room?.id, error: message });
      this.sendFrame({ id: req.id, ok: false, error: message });
    }
  }

  private async handle(req: ValidRequest): Promise<Record<string, unknown>> {
    if (req.method === 'join') return this.join(req.data.roomId, req.data.displayName, req.data.kind ?? 'browser');
    const { peer, room } = this;
    if (!peer || !room || peer.closed) throw new Error(`${req.method} before join`);
    switch (req.method) {
      case 'setRtpCapabilities':
        peer.rtpCapabilities = req.data.rtpCapabilities as unknown as types.RtpCapabilities;
        return {};
      case 'createWebRtcTransport':
        return room.createTransport(peer, req.data.direction);
      case 'connectWebRtcTransport':
        await peer.transport(req.data.transportId).connect({
          dtlsParameters: req.data.dtlsParameters as unknown as types.DtlsParameters,
        });
        return {};
      case 'produce': {
        const { transportId, kind, rtpParameters, appData } = req.data;
        const producerId = await room.produce(peer, transportId, kind, rtpParameters as unknown as types.RtpParameters, appData);
        return { producerId };
      }
      case 'closeProducer':
        room.closeProducer(peer, req.data.producerId);
        return {};
      case 'consume':
        return room.consume(peer, req.data.transportId, req.data.producerId);
      case 'resumeConsumer':
        await peer.consumer(req.data.consumerId).resume();
        return {};
      case 'pauseConsumer':
        await peer.consumer(req.data.consumerId).pause();
        return {};
      case 'requestKeyFrame':
        await peer.consumer(req.data.consumerId).requestKeyFrame();
        return {};
      case 'setConsumerPreferredLayers':
        return setPreferredLayers(peer.consumer(req.data.consumerId), req.data.spatialLayer, req.data.temporalLayer);
      case 'dtmf':
        room.reportDtmf(peer, req.data.digit, req.data.durationMs);
        return {};
      case 'sendDtmf':
        room.requestDtmf(peer, req.data.toPeerId, req.data.digit, req.data.durationMs);
        return {};
      case 'getRoom':
        return { roomId: room.id, peers: room.peerInfos() };
      case 'leave':
        this.leave();
        return {};
    }
  }

  private async join(roomId: string, displayName: string, kind: 'browser' | 'gateway'): Promise<Record<string, unknown>> {
    if (this.peer) throw new Error('already joined');
    const room = await this.rooms.getOrCreate(roomId);
    const peer = new MeetingPeer(randomUUID(), displayName, kind, (notification, data) =>
      this.sendFrame({ notification, data }),
    );
    if (this.socketClosed) {
      if (room.peers.size === 0) room.close('last peer left');
      throw new Error('socket closed during join');
    }
    room.addPeer(peer);
    this.peer = peer;
    this.room = room;
    this.onRoomClosed = () => {
      if (this.room === room) this.socket.close(1000, 'room closed');
    };
    room.once('closed', this.onRoomClosed);
    this.log.info('peer joined', { roomId, peerId: peer.id, displayName, kind });
    return { peerId: peer.id, routerRtpCapabilities: room.rtpCapabilities, peers: room.peerInfos(peer) };
  }

  private leave(): void {
    const { peer, room } = this;
    if (!peer || !room) return;
    this.peer = undefined;
    this.room = undefined;
    // Without this every peer that ever joined a long-lived room kept a listener (and its session)
    // on it until the room closed.
    if (this.onRoomClosed) room.off('closed', this.onRoomClosed);
    this.onRoomClosed = undefined;
    room.removePeer(peer);
    this.log.info('peer left', { roomId: room.id, peerId: peer.id });
  }

  private onSocketClosed(): void {
    this.socketClosed = true;
    if (this.badFrames > BAD_FRAME_LOG_LIMIT) {
      this.log.warn('refused signalling frames (total for this socket)', { count: this.badFrames });
    }
    // run after any request in flight so a half-done produce/consume is cleaned up too
    this.queue = this.queue.then(() => this.leave());
  }

  private sendFrame(frame: Notification | { id: number; ok: boolean; data?: unknown; error?: string }): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify(frame));
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function withMeta(log: MeetingLogger, meta: object): MeetingLogger {
  const child = (log as { child?: (m: object) => MeetingLogger }).child;
  if (typeof child === 'function') return child.call(log, meta);
  return {
    debug: (m, x) => log.debug(m, { ...meta, ...x }),
    info: (m, x) => log.info(m, { ...meta, ...x }),
    warn: (m, x) => log.warn(m, { ...meta, ...x }),
    error: (m, x) => log.error(m, { ...meta, ...x }),
  };
}

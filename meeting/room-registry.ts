import { EventEmitter } from 'node:events';
import type { MeetingLogger } from './logger.ts';
import type { PeerInfo } from './protocol.ts';
import { Room, type RoomDtmfEvent, type RoomDtmfSummary, type RtcListenConfig, type VideoConsumerInfo } from './room.ts';
import type { WorkerHost } from './worker-host.ts';

export interface MeetingStats {
  rooms: number;
  peers: number;
  transports: number;
  producers: number;
  consumers: number;
}

export interface RoomRegistryEvents {
  /** Any room's 'dtmf', with the room's id (meeting logic listens here, rooms come and go). */
  dtmf: [roomId: string, event: RoomDtmfEvent];
}

/** Rooms by id: created on first join (concurrent joins share one creation), forgotten on close. */
export class RoomRegistry extends EventEmitter<RoomRegistryEvents> {
  private readonly rooms = new Map<string, Room>();
  private readonly creating = new Map<string, Promise<Room>>();

  constructor(
    readonly workerHost: WorkerHost,
    private readonly rtc: RtcListenConfig,
    private readonly log: MeetingLogger,
  ) {
    super();
  }

  async getOrCreate(roomId: string): Promise<Room> {
    const existing = this.rooms.get(roomId);
    if (existing && !existing.closed) return existing;
    let pending = this.creating.get(roomId);
    if (!pending) {
      pending = this.create(roomId).finally(() => this.creating.delete(roomId));
      this.creating.set(roomId, pending);
    }
    return pending;
  }

  private async create(roomId: string): Promise<Room> {
    const worker = await this.workerHost.get();
    const room = await Room.create(worker, roomId, this.rtc, this.log);
    this.rooms.set(roomId, room);
    room.on('dtmf', (event) => this.emit('dtmf', roomId, event));
    room.once('closed', () => {
      if (this.rooms.get(roomId) === room) this.rooms.delete(roomId);
    });
    this.log.info('room created', { roomId });
    return room;
  }

  get(roomId: string): Room | undefined {
    return this.rooms.get(roomId);
  }

  list(): { roomId: string; peers: PeerInfo[]; dtmf: RoomDtmfSummary; videoConsumers: VideoConsumerInfo[] }[] {
    return [...this.rooms.values()].map((r) => ({ roomId: r.id, peers: r.peerInfos(), dtmf: r.dtmfSummary(), videoConsumers: r.videoConsumerInfos() }));
  }

  closeAll(reason: string): void {
    for (const room of [...this.rooms.values()]) room.close(reason);
  }

  stats(): MeetingStats {
    const s: MeetingStats = { rooms: this.rooms.size, peers: 0, transports: 0, producers: 0, consumers: 0 };
    for (const room of this.rooms.values()) {
      const c = room.counts();
      s.peers += c.peers;
      s.transports += c.transports;
      s.producers += c.producers;
      s.consumers += c.consumers;
    }
    return s;
  }
}

// The media plane as the control thread sees it: media hosts (protocol.ts) in worker threads,
// one per core by default, each owning whole calls — room RTP, jitter buffers, codecs, the
// werift leg into the meeting, and the shared mix of its meetings. Every call of a meeting runs
// on the same host (one mix per meeting); a new meeting goes to the least loaded host. With
// `workers: 0` one host runs in the control thread over a MessageChannel (same code path).
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger, PortAllocator } from '../../bridge/index.ts';
import { MeetingConnectorError, type MeetingErrorCode } from '../connectors/mediasoup-meeting/index.ts';
import type { CallMediaHandle, CreateMediaOptions, JoinOptions, MeetingLegHandle } from './handles.ts';
import { MediaHost } from './media-host.ts';
import type { FromHost, HostCommand, HostRequest, MediaHostSettings, PortLike, WireError } from './protocol.ts';
import { RemoteCallMedia, RemoteMeetingLeg, type HostLink } from './remote-handles.ts';

export interface MediaPlaneOptions {
  /** Media worker threads; 0 runs the media in the control thread. */
  workers: number;
  /** The RTP port pool; its bookkeeping is shared with every host. */
  ports: PortAllocator;
  logger: Logger;
  /** Forward debug lines from the hosts. Default false. */
  debug?: boolean;
  /** Interval of the hosts' stats snapshots, ms. Default 1000. */
  statsIntervalMs?: number;
  /** A host that does not finish its shutdown within this is stopped anyway, ms. Default 5000. */
  shutdownTimeoutMs?: number;
  /**
   * Calls of one meeting a thread takes before the meeting's further calls spread to the least
   * loaded thread (each thread then keeps its own mix of the meeting). Default 100.
   */
  meetingCallsPerThread?: number;
  /** Each media worker as it starts (observers: diagnostics, and tests that stop one as a crash would). */
  onWorkerStarted?(worker: Worker): void;
}

/** One media host's load, as GET /api/status shows it. */
export interface MediaHostSummary {
  thread: 'worker' | 'control';
  media: number;
  legs: number;
  meetings: number;
}

/** The join failed the way the connector classified it (status for the room: MeetingConnectorError). */
class RemoteMeetingError extends MeetingConnectorError {
  override readonly name: string;
  constructor(error: WireError) {
    super(error.code as MeetingErrorCode, error.message, error.sipStatus ?? 503);
    this.name = error.name;
  }
}

function revive(error: WireError): Error {
  if (error.code !== undefined) return new RemoteMeetingError(error);
  const err = new Error(error.message);
  err.name = error.name;
  return err;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** The control thread's end of one host. */
class HostConnection implements HostLink {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handles = new Map<string, RemoteCallMedia | RemoteMeetingLeg>();
  /** Objects being made or alive: their logger and meeting. */
  private readonly owners = new Map<string, { logger: Logger; meetingId: string }>();
  dead = false;

  constructor(
    readonly thread: 'worker' | 'control',
    private readonly port: PortLike,
    private readonly onForget: (meetingId: string) => void,
    private readonly logger: Logger,
  ) {
    port.on('message', (msg) => this.onMessage(msg as FromHost));
  }

  get load(): number {
    return this.owners.size;
  }

  summary(): MediaHostSummary {
    let media = 0;
    let legs = 0;
    for (const h of this.handles.values()) h instanceof RemoteCallMedia ? media++ : legs++;
    return { thread: this.thread, media, legs, meetings: new Set([...this.owners.values()].map((o) => o.meetingId)).size };
  }

  own(key: string, meetingId: string, logger: Logger): void {
    this.owners.set(key, { logger, meetingId });
  }

  adopt(handle: RemoteCallMedia | RemoteMeetingLeg): void {
    this.handles.set(handle.key, handle);
  }

  command(cmd: HostCommand): void {
    if (!this.dead) this.port.postMessage(cmd);
  }

  request(op: { op: string; [k: string]: unknown }): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error('media thread stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ t: 'req', id, ...op } as HostRequest);
    });
  }

  forget(key: string): void {
    this.handles.delete(key);
    const owner = this.owners.get(key);
    if (!owner) return;
    this.owners.delete(key);
    this.onForget(owner.meetingId);
  }

  /** The host is gone (worker crashed or stopped): every call on it hears so once. */
  fail(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    for (const handle of [...this.handles.values()]) {
      if (handle instanceof RemoteMeetingLeg) handle.deliver('ended', [reason]);
    }
    for (const key of [...this.owners.keys()]) this.forget(key);
  }

  private onMessage(msg: FromHost): void {
    switch (msg.t) {
      case 'res': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(revive(msg.error));
        return;
      }
      case 'event':
        this.handles.get(msg.key)?.deliver(msg.name, msg.args);
        return;
      case 'log': {
        const logger = this.owners.get(msg.key)?.logger ?? this.logger;
        logger[msg.level](msg.msg, msg.meta);
        return;
      }
      case 'stats':
        for (const [key, snapshot] of msg.media) {
          const h = this.handles.get(key);
          if (h instanceof RemoteCallMedia) h.updated(snapshot);
        }
        for (const [key, stats] of msg.legs) {
          const h = this.handles.get(key);
          if (h instanceof RemoteMeetingLeg) h.updated(stats);
        }
        return;
    }
  }
}

export class MediaPlane {
  private readonly slots: (HostConnection | undefined)[];
  private readonly stoppers = new Map<HostConnection, () => Promise<void>>();
  /** The hosts running each meeting with calls, and how many objects (media, legs) of it each holds. */
  private readonly meetings = new Map<string, Map<HostConnection, number>>();
  private nextKey = 1;
  /** PortAllocator owner of the next host (1 is the control thread's own allocator). */
  private nextOwner = 2;
  private closed = false;
  private readonly settings: Omit<MediaHostSettings, 'ports'> & { ports: Omit<MediaHostSettings['ports'], 'owner'> };

  constructor(private readonly opts: MediaPlaneOptions) {
    this.slots = new Array<HostConnection | undefined>(Math.max(1, opts.workers)).fill(undefined);
    this.settings = {
      ports: { min: opts.ports.min, max: opts.ports.max, shared: opts.ports.shared },
      debug: opts.debug ?? false,
      statsIntervalMs: opts.statsIntervalMs ?? 1000,
    };
  }

  /** Threads the media may run on (1 when it runs in the control thread). */
  get threads(): number {
    return this.slots.length;
  }

  summary(): MediaHostSummary[] {
    return this.slots.filter((h): h is HostConnection => h !== undefined && !h.dead).map((h) => h.summary());
  }

  /** The room-side media of a call of `meetingId`, on that meeting's host. */
  async createMedia(meetingId: string, opts: CreateMediaOptions & { mediaTimeoutMs: number }): Promise<CallMediaHandle> {
    const { host, key } = this.claim(meetingId, opts.logger);
    try {
      const r = (await host.request({ op: 'create-media', key, meetingId, bindAddress: opts.bindAddress, video: opts.video !== false, mediaTimeoutMs: opts.mediaTimeoutMs })) as { audioPort: number; videoPort: number };
      const media = new RemoteCallMedia(key, r.audioPort, r.videoPort, host, opts.logger);
      host.adopt(media);
      return media;
    } catch (err) {
      host.forget(key);
      throw err;
    }
  }

  /** The call's leg into `meetingId` (meeting/PROTOCOL.md at `url`), on that meeting's host. */
  async joinMeeting(opts: JoinOptions & { url: string }): Promise<MeetingLegHandle> {
    const { host, key } = this.claim(opts.roomId, opts.logger);
    try {
      const r = (await host.request({ op: 'join', key, meetingId: opts.roomId, url: opts.url, displayName: opts.displayName, video: opts.video })) as { peerId: string };
      const leg = new RemoteMeetingLeg(key, r.peerId, opts.roomId, opts.video, host, opts.logger);
      host.adopt(leg);
      return leg;
    } catch (err) {
      host.forget(key);
      throw err;
    }
  }

  /** Ends whatever media is left and stops the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.stoppers.values()].map((stop) => stop()));
    this.stoppers.clear();
  }

  private claim(meetingId: string, logger: Logger): { host: HostConnection; key: string } {
    if (this.closed) throw new Error('media plane closed');
    let hosts = this.meetings.get(meetingId);
    if (!hosts) {
      hosts = new Map();
      this.meetings.set(meetingId, hosts);
    }
    // Stay with the meeting's thread (one shared mix) until it holds meetingCallsPerThread of its
    // calls (a media object and a leg each); then spread: mixing a large meeting on several
    // threads repeats a few source decodes and mix encodes per thread, and uses every core.
    const perThread = 2 * (this.opts.meetingCallsPerThread ?? 100);
    let host: HostConnection | undefined;
    for (const [h, refs] of hosts) {
      if (!h.dead && refs < perThread) {
        host = h;
        break;
      }
    }
    host ??= this.pickHost();
    hosts.set(host, (hosts.get(host) ?? 0) + 1);
    const key = String(this.nextKey++);
    host.own(key, meetingId, logger);
    return { host, key };
  }

  private release(host: HostConnection, meetingId: string): void {
    const hosts = this.meetings.get(meetingId);
    const refs = hosts?.get(host);
    if (!hosts || refs === undefined) return;
    if (refs <= 1) hosts.delete(host);
    else hosts.set(host, refs - 1);
    if (hosts.size === 0) this.meetings.delete(meetingId);
  }

  /** The least loaded host, starting one in an empty (or failed) slot first. */
  private pickHost(): HostConnection {
    let best = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const h = this.slots[i];
      if (!h || h.dead) {
        best = i;
        break;
      }
      if (best < 0 || h.load < this.slots[best]!.load) best = i;
    }
    const current = this.slots[best];
    if (current && !current.dead) return current;
    const host = this.opts.workers > 0 ? this.startWorker() : this.startInThread();
    this.slots[best] = host;
    return host;
  }

  /** The settings of a new host: its own PortAllocator owner, so its pairs can be taken back. */
  private hostSettings(): MediaHostSettings {
    return { ...this.settings, ports: { ...this.settings.ports, owner: this.nextOwner++ } };
  }

  private startWorker(): HostConnection {
    const settings = this.hostSettings();
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: { settings } });
    worker.unref();
    const log = this.opts.logger;
    let host!: HostConnection;
    host = new HostConnection('worker', worker, (meetingId) => this.release(host, meetingId), log);
    let stopping = false;
    worker.on('error', (err) => log.error('media worker failed', { threadId: worker.threadId, error: err.message, stack: err.stack }));
    worker.on('exit', (code) => {
      // its sockets closed with the thread; the pool's bookkeeping of them is taken back here
      const reclaimed = this.opts.ports.releaseOwnedBy(settings.ports.owner);
      if (!stopping) log.error('media worker stopped; its calls end', { threadId: worker.threadId, code, portPairsReclaimed: reclaimed });
      host.fail(`media worker stopped (exit ${code})`);
      this.stoppers.delete(host);
    });
    this.stoppers.set(host, async () => {
      await this.shutdownHost(host);
      stopping = true;
      await worker.terminate();
    });
    log.info('media worker started', { threadId: worker.threadId });
    this.opts.onWorkerStarted?.(worker);
    return host;
  }

  private startInThread(): HostConnection {
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    port2.unref();
    new MediaHost(port1, this.hostSettings());
    let host!: HostConnection;
    host = new HostConnection('control', port2, (meetingId) => this.release(host, meetingId), this.opts.logger);
    this.stoppers.set(host, async () => {
      await this.shutdownHost(host);
      host.fail('media plane closed');
      port1.close();
      port2.close();
    });
    return host;
  }

  private async shutdownHost(host: HostConnection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.opts.logger.warn('media thread shutdown timed out', { timeoutMs: this.opts.shutdownTimeoutMs ?? 5000 });
        resolve();
      }, this.opts.shutdownTimeoutMs ?? 5000);
    });
    await Promise.race([host.request({ op: 'shutdown' }).catch(() => undefined), limit]);
    clearTimeout(timer);
  }
}

// The media of whole calls, in one thread: each call's CallMedia (room RTP, jitter buffers,
// codecs) and its meeting leg (werift), and the shared mix of every meeting whose calls run
// here. Driven over one port by the control thread's MediaPlane (protocol.ts); runs in a media
// worker thread (media-worker.ts) or, with `media.workers: 0`, in the control thread itself.
import { CallMedia, MeetingMixHubs, PortAllocator, type DtmfDigit, type Logger, type NegotiatedMedia } from '../../bridge/index.ts';
import { joinMeeting, MeetingConnectorError, type MeetingLeg } from '../connectors/mediasoup-meeting/index.ts';
import type { FromHost, HostCommand, HostRequest, MediaHostSettings, MediaSnapshot, PortLike, ToHost, WireError } from './protocol.ts';

const MEDIA_EVENTS = ['room-keyframe-needed', 'dtmf', 'dtmf-start', 'remote-latched', 'media-timeout'] as const;

export class MediaHost {
  private readonly medias = new Map<string, CallMedia>();
  /** The leg each media is attached to (its stats travel with the media's). */
  private readonly attachedLeg = new Map<string, string>();
  private readonly legs = new Map<string, MeetingLeg>();
  /** Joins still running: a leave for them waits for the join to finish, then leaves. */
  private readonly joining = new Map<string, Promise<MeetingLeg | undefined>>();
  /** Keys the control thread gave up (closed, left) while their object was still being made. */
  private readonly abandoned = new Set<string>();
  private readonly hubs = new MeetingMixHubs();
  private readonly ports: PortAllocator;
  private readonly statsTimer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly port: PortLike,
    private readonly settings: MediaHostSettings,
  ) {
    this.ports = new PortAllocator({ min: settings.ports.min, max: settings.ports.max, shared: settings.ports.shared, owner: settings.ports.owner });
    port.on('message', (msg) => this.onMessage(msg as ToHost));
    this.statsTimer = setInterval(() => this.postAllStats(), settings.statsIntervalMs);
    this.statsTimer.unref();
  }

  /** Calls' media and legs alive in this host (for tests and the worker's own checks). */
  get load(): { media: number; legs: number; meetings: number } {
    return { media: this.medias.size, legs: this.legs.size, meetings: this.hubs.size };
  }

  private onMessage(msg: ToHost): void {
    try {
      if (msg.t === 'req') this.onRequest(msg);
      else this.onCommand(msg);
    } catch (err) {
      // A bug here must not take the thread's other calls down: logged against the object.
      this.post({ t: 'log', key: 'key' in msg ? msg.key : '', level: 'error', msg: 'media host command failed', meta: { op: msg.op, error: String(err) } });
    }
  }

  private onRequest(req: HostRequest): void {
    const reply = (p: Promise<unknown>): void => {
      p.then(
        (value) => this.post({ t: 'res', id: req.id, ok: true, value }),
        (err: unknown) => this.post({ t: 'res', id: req.id, ok: false, error: wireError(err) }),
      );
    };
    switch (req.op) {
      case 'create-media': return reply(this.createMedia(req));
      case 'join': return reply(this.join(req));
      case 'leave': return reply(this.leave(req.key));
      case 'shutdown': return reply(this.shutdown());
    }
  }

  private onCommand(cmd: HostCommand): void {
    if (cmd.op === 'dtmf-to-meeting') {
      this.legs.get(cmd.key)?.sendDtmf(cmd.digit, cmd.durationMs);
      return;
    }
    if (cmd.op === 'close-media') return this.closeMedia(cmd.key);
    const media = this.medias.get(cmd.key);
    if (!media) return;
    switch (cmd.op) {
      case 'set-remote':
        media.setRemote(reviveNegotiated(cmd.desc));
        this.postStatsOf(cmd.key);
        return;
      case 'attach': {
        const leg = this.legs.get(cmd.leg);
        if (!leg) {
          this.post({ t: 'log', key: cmd.key, level: 'error', msg: 'attach: the meeting leg is not in this media thread', meta: { leg: cmd.leg } });
          return;
        }
        media.attachCloud(leg, leg.peerId);
        this.attachedLeg.set(cmd.key, cmd.leg);
        this.postStatsOf(cmd.key);
        return;
      }
      case 'keyframe-from-room':
        media.onRoomKeyframeRequest();
        this.postStatsOf(cmd.key);
        return;
      case 'video-limit-from-room':
        media.limitVideoFromSignalling(cmd.bps);
        this.postStatsOf(cmd.key);
        return;
      case 'dtmf-to-room':
        media.sendDtmf(cmd.digit as DtmfDigit, cmd.durationMs);
        return;
    }
  }

  private async createMedia(req: Extract<HostRequest, { op: 'create-media' }>): Promise<{ audioPort: number; videoPort: number }> {
    const media = await CallMedia.create({
      ports: this.ports,
      bindAddress: req.bindAddress,
      logger: this.loggerFor(req.key),
      video: req.video,
      mixHub: this.hubs.acquire(req.meetingId),
      jitterBuffer: true,
      mediaTimeoutMs: req.mediaTimeoutMs,
    });
    if (this.abandoned.delete(req.key) || this.stopped) {
      media.close();
      throw new Error('media closed while it was being created');
    }
    this.medias.set(req.key, media);
    for (const name of MEDIA_EVENTS) {
      media.on(name, (...args: unknown[]) => {
        this.post({ t: 'event', key: req.key, name, args });
        if (name === 'dtmf') this.postStatsOf(req.key);
      });
    }
    return { audioPort: media.audioPort, videoPort: media.videoPort };
  }

  private closeMedia(key: string): void {
    const media = this.medias.get(key);
    if (!media) {
      this.abandoned.add(key);
      return;
    }
    this.medias.delete(key);
    this.attachedLeg.delete(key);
    media.close();
  }

  private join(req: Extract<HostRequest, { op: 'join' }>): Promise<{ peerId: string }> {
    const joined = joinMeeting({
      url: req.url, roomId: req.meetingId, displayName: req.displayName, video: req.video, audio: true,
      logger: this.loggerFor(req.key),
    });
    const settled = joined.then((leg) => leg, () => undefined);
    this.joining.set(req.key, settled);
    return joined.then(
      (leg) => {
        this.joining.delete(req.key);
        if (this.abandoned.delete(req.key) || this.stopped) {
          void leg.leave().catch(() => undefined);
          throw new Error('left while joining');
        }
        this.legs.set(req.key, leg);
        leg.on('ended', (reason) => {
          this.legs.delete(req.key);
          this.post({ t: 'event', key: req.key, name: 'ended', args: [reason] });
        });
        leg.on('dtmf-request', (...args) => this.post({ t: 'event', key: req.key, name: 'dtmf-request', args }));
        return { peerId: leg.peerId };
      },
      (err: unknown) => {
        this.joining.delete(req.key);
        this.abandoned.delete(req.key);
        throw err;
      },
    );
  }

  private async leave(key: string): Promise<void> {
    let leg = this.legs.get(key);
    if (!leg && this.joining.has(key)) {
      this.abandoned.add(key);
      leg = await this.joining.get(key);
      return; // the join's own completion leaves it
    }
    if (!leg) return;
    this.legs.delete(key);
    await leg.leave();
  }

  /** Ends every call here (the gateway is closing): media closed, legs left. */
  private async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.statsTimer);
    for (const key of [...this.medias.keys()]) this.closeMedia(key);
    await Promise.all([...this.legs.keys()].map((key) => this.leave(key).catch(() => undefined)));
    await Promise.all([...this.joining.values()]);
  }

  /** A fresh snapshot of one call's media (and its leg) after something changed them. */
  private postStatsOf(key: string): void {
    const media = this.medias.get(key);
    if (!media) return;
    const legKey = this.attachedLeg.get(key);
    const leg = legKey === undefined ? undefined : this.legs.get(legKey);
    this.post({ t: 'stats', media: [[key, snapshotOf(media)]], legs: leg ? [[legKey!, leg.stats()]] : [] });
  }

  private postAllStats(): void {
    if (this.medias.size === 0 && this.legs.size === 0) return;
    this.post({
      t: 'stats',
      media: [...this.medias].map(([key, media]) => [key, snapshotOf(media)]),
      legs: [...this.legs].map(([key, leg]) => [key, leg.stats()]),
    });
  }

  /** A logger whose lines the control thread writes with the call's own logger (call id). */
  private loggerFor(key: string): Logger {
    const line = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, meta?: object): void => {
      if (level === 'debug' && !this.settings.debug) return;
      this.post({ t: 'log', key, level, msg, ...(meta ? { meta } : {}) });
    };
    const make = (bound: Record<string, unknown>): Logger => ({
      debug: (m, meta) => line('debug')(m, merge(bound, meta)),
      info: (m, meta) => line('info')(m, merge(bound, meta)),
      warn: (m, meta) => line('warn')(m, merge(bound, meta)),
      error: (m, meta) => line('error')(m, merge(bound, meta)),
      child: (meta) => make({ ...bound, ...meta }),
    });
    return make({});
  }

  private post(msg: FromHost): void {
    try {
      this.port.postMessage(msg);
    } catch {
      // DataCloneError: something in a log line's meta cannot be cloned; send it as text.
      if (msg.t === 'log') this.port.postMessage({ ...msg, meta: { detail: safeText(msg.meta) } });
    }
  }
}

function merge(bound: Record<string, unknown>, meta: object | undefined): object | undefined {
  if (Object.keys(bound).length === 0) return meta;
  return meta ? { ...bound, ...meta } : bound;
}

function snapshotOf(media: CallMedia): MediaSnapshot {
  return { stats: media.stats(), dtmf: media.dtmfStats(), canSendRfc4733: media.canSendRfc4733 };
}

function wireError(err: unknown): WireError {
  if (err instanceof MeetingConnectorError) return { name: err.name, message: err.message, code: err.code, sipStatus: err.sipStatus };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** SRTP keys cross the port as Uint8Array (structured clone): the bridge wants Buffers. */
function reviveNegotiated(desc: NegotiatedMedia): NegotiatedMedia {
  const keys = <T extends { srtp?: { localKey: Buffer; remoteKey: Buffer } }>(m: T | undefined): T | undefined =>
    m?.srtp ? { ...m, srtp: { ...m.srtp, localKey: asBuffer(m.srtp.localKey), remoteKey: asBuffer(m.srtp.remoteKey) } } : m;
  const audio = keys(desc.audio);
  const video = keys(desc.video);
  return { address: desc.address, ...(audio ? { audio } : {}), ...(video ? { video } : {}) };
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function safeText(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

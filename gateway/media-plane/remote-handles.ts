// The control thread's side of one call's media and meeting leg living in a media host: method
// calls become commands on the host's port, the host's events and stats snapshots come back.
import { EventEmitter } from 'node:events';
import { newCallMediaStats, type CallMediaEvents, type CallMediaStats, type DtmfDigit, type Logger, type NegotiatedMedia } from '../../bridge/index.ts';
import type { CallDtmfStats } from '../../bridge/index.ts';
import type { MeetingLegStats } from '../connectors/mediasoup-meeting/index.ts';
import type { CallMediaHandle, MeetingLegHandle, MeetingLegHandleEvents } from './handles.ts';
import type { HostCommand, MediaSnapshot } from './protocol.ts';

/** What a remote handle needs from the host link it lives on. */
export interface HostLink {
  command(cmd: HostCommand): void;
  request(op: { op: 'leave'; key: string }): Promise<unknown>;
  /** The handle is done (closed / left): forget it. */
  forget(key: string): void;
}

export class RemoteCallMedia extends EventEmitter<CallMediaEvents> implements CallMediaHandle {
  private snapshot: MediaSnapshot = {
    stats: newCallMediaStats(),
    dtmf: { received: { digits: 0, duplicates: 0, stale: 0, otherEvents: 0, malformed: 0 }, digitsSent: 0, packetsSent: 0 },
    canSendRfc4733: false,
  };
  private closed = false;

  constructor(
    readonly key: string,
    readonly audioPort: number,
    readonly videoPort: number,
    private readonly link: HostLink,
    readonly logger: Logger,
  ) {
    super();
  }

  setRemote(desc: NegotiatedMedia): void {
    if (this.closed) return;
    // Known at once (the host's snapshot follows): RFC 4733 events go out at the audio clock only.
    const a = desc.audio;
    this.snapshot.canSendRfc4733 = a?.telephoneEventPt !== undefined && (a.telephoneEventRate ?? a.clockRate) === a.clockRate;
    const suite = a?.srtp?.suite ?? desc.video?.srtp?.suite;
    if (suite && this.snapshot.stats.srtp?.suite !== suite) this.snapshot.stats = { ...this.snapshot.stats, srtp: { suite, authFailures: 0, replays: 0 } };
    this.link.command({ t: 'cmd', op: 'set-remote', key: this.key, desc });
  }

  attachCloud(leg: MeetingLegHandle): void {
    if (this.closed) return;
    if (!(leg instanceof RemoteMeetingLeg)) throw new TypeError('attachCloud: the leg is not in the media plane');
    this.link.command({ t: 'cmd', op: 'attach', key: this.key, leg: leg.key });
  }

  onRoomKeyframeRequest(): void {
    if (!this.closed) this.link.command({ t: 'cmd', op: 'keyframe-from-room', key: this.key });
  }

  limitVideoFromSignalling(bps: number | undefined): void {
    if (!this.closed) this.link.command({ t: 'cmd', op: 'video-limit-from-room', key: this.key, ...(bps !== undefined ? { bps } : {}) });
  }

  sendDtmf(digit: DtmfDigit, durationMs?: number): boolean {
    if (this.closed || !this.snapshot.canSendRfc4733) return false;
    this.link.command({ t: 'cmd', op: 'dtmf-to-room', key: this.key, digit, ...(durationMs !== undefined ? { durationMs } : {}) });
    return true;
  }

  get canSendRfc4733(): boolean {
    return !this.closed && this.snapshot.canSendRfc4733;
  }

  dtmfStats(): CallDtmfStats {
    return this.snapshot.dtmf;
  }

  stats(): CallMediaStats {
    return this.snapshot.stats;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.command({ t: 'cmd', op: 'close-media', key: this.key });
    this.link.forget(this.key);
    this.removeAllListeners();
  }

  /** From the host: a newer snapshot. */
  updated(snapshot: MediaSnapshot): void {
    if (!this.closed) this.snapshot = snapshot;
  }

  /** From the host: one of CallMedia's events. */
  deliver(name: string, args: unknown[]): void {
    if (!this.closed) (this.emit as (event: string, ...a: unknown[]) => boolean)(name, ...args);
  }
}

export class RemoteMeetingLeg extends EventEmitter<MeetingLegHandleEvents> implements MeetingLegHandle {
  private latest: MeetingLegStats;
  private leaving: Promise<void> | undefined;
  private ended = false;

  constructor(
    readonly key: string,
    readonly peerId: string,
    roomId: string,
    video: boolean,
    private readonly link: HostLink,
    readonly logger: Logger,
  ) {
    super();
    const counts = () => ({ packetsSent: 0, bytesSent: 0, sendDropped: 0, packetsReceived: 0, bytesReceived: 0 });
    this.latest = {
      state: 'connected', roomId, peerId, videoEnabled: video, audio: counts(), video: counts(), keyframeRequestsReceived: 0,
      keyframeRequestsSent: 0, producers: 0, consumers: 0, negotiations: 0, videoSwitches: [], malformedRtcp: 0,
      unknownSsrcPackets: 0, dtmf: { sent: 0, failed: 0, requested: 0 }, audioConsumersPaused: 0, videoLayer: { requests: 0 },
    } as MeetingLegStats;
  }

  sendDtmf(digit: string, durationMs: number): void {
    if (!this.ended) this.link.command({ t: 'cmd', op: 'dtmf-to-meeting', key: this.key, digit, durationMs });
  }

  leave(): Promise<void> {
    this.leaving ??= this.ended
      ? Promise.resolve()
      : this.link.request({ op: 'leave', key: this.key }).then(
          () => this.finish(),
          () => this.finish(),
        );
    return this.leaving;
  }

  stats(): MeetingLegStats {
    return this.latest;
  }

  updated(stats: MeetingLegStats): void {
    this.latest = stats;
  }

  deliver(name: string, args: unknown[]): void {
    if (name === 'ended') {
      if (this.ended) return;
      this.ended = true;
      this.latest = { ...this.latest, state: 'ended', endReason: String(args[0]) };
      this.link.forget(this.key);
    }
    (this.emit as (event: string, ...a: unknown[]) => boolean)(name, ...args);
  }

  private finish(): void {
    this.ended = true;
    this.latest = { ...this.latest, state: 'ended' };
    this.link.forget(this.key);
  }
}

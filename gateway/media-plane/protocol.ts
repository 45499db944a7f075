// The messages between the control thread (MediaPlane) and a media host (MediaHost), one port
// per host. Control traffic only: RTP never crosses it (each host owns whole calls).
import type { CallMediaStats, NegotiatedMedia } from '../../bridge/index.ts';
import type { CallDtmfStats } from '../../bridge/dtmf/call-dtmf.ts';
import type { MeetingLegStats } from '../connectors/mediasoup-meeting/index.ts';

/** A host's fixed settings (the worker's workerData). */
export interface MediaHostSettings {
  /** The gateway's RTP port pool, shared by every thread (PortAllocator `shared`). */
  ports: { min: number; max: number; shared: SharedArrayBuffer; owner: number };
  /** Forward debug lines to the control thread (false when its logger would drop them). */
  debug: boolean;
  /** Interval of the stats snapshots sent to the control thread, ms. */
  statsIntervalMs: number;
}

/** Requests: answered with one `Reply` carrying the same id. */
export type HostRequest =
  | { t: 'req'; id: number; op: 'create-media'; key: string; meetingId: string; bindAddress: string; video: boolean; mediaTimeoutMs: number }
  | { t: 'req'; id: number; op: 'join'; key: string; meetingId: string; url: string; displayName: string; video: boolean }
  | { t: 'req'; id: number; op: 'leave'; key: string }
  | { t: 'req'; id: number; op: 'shutdown' };

/** Commands: no answer (their effects show in events and stats). */
export type HostCommand =
  | { t: 'cmd'; op: 'set-remote'; key: string; desc: NegotiatedMedia }
  | { t: 'cmd'; op: 'attach'; key: string; leg: string }
  | { t: 'cmd'; op: 'keyframe-from-room'; key: string }
  | { t: 'cmd'; op: 'video-limit-from-room'; key: string; bps?: number }
  | { t: 'cmd'; op: 'dtmf-to-room'; key: string; digit: string; durationMs?: number }
  | { t: 'cmd'; op: 'dtmf-to-meeting'; key: string; digit: string; durationMs: number }
  | { t: 'cmd'; op: 'close-media'; key: string };

export type ToHost = HostRequest | HostCommand;

/** An error as it crosses the port: what the control thread needs to classify it. */
export interface WireError {
  name: string;
  message: string;
  /** MeetingConnectorError code and SIP status, when the join failed that way. */
  code?: string;
  sipStatus?: number;
}

export type Reply = { t: 'res'; id: number; ok: true; value?: unknown } | { t: 'res'; id: number; ok: false; error: WireError };

/** One call's media counters as the control thread keeps them. */
export interface MediaSnapshot {
  stats: CallMediaStats;
  dtmf: CallDtmfStats;
  canSendRfc4733: boolean;
}

export type FromHost =
  | Reply
  /** A CallMedia or MeetingLeg event of the object `key`. */
  | { t: 'event'; key: string; name: string; args: unknown[] }
  /** A log line of the object `key`, written by the control thread with the call's logger. */
  | { t: 'log'; key: string; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; meta?: object }
  | { t: 'stats'; media: [key: string, snapshot: MediaSnapshot][]; legs: [key: string, stats: MeetingLegStats][] };

/** Port ends as both worker_threads' parentPort/Worker and a MessageChannel's ports offer them. */
export interface PortLike {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

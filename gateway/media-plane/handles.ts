// What a call sees of its media and of its meeting leg, wherever they run (a media worker thread
// or the control thread): the call classes hold these, never CallMedia or MeetingLeg themselves.
import type { CallMediaEvents, CallMediaStats, DtmfDigit, NegotiatedMedia } from '../../bridge/index.ts';
import type { CallDtmfStats } from '../../bridge/dtmf/call-dtmf.ts';
import type { MeetingLegStats } from '../connectors/mediasoup-meeting/index.ts';

type Listener<M, K extends keyof M> = M[K] extends unknown[] ? (...args: M[K]) => void : never;

/** One call's room-side media (bridge/CallMedia), as the control thread drives it. */
export interface CallMediaHandle {
  /** The gateway's RTP port for the room's audio (RTCP = +1). */
  readonly audioPort: number;
  /** The video RTP port; 0 when created without video. */
  readonly videoPort: number;
  /** Apply the negotiated media (SDP answer, H.245 channels); again after a re-INVITE. */
  setRemote(desc: NegotiatedMedia): void;
  /** Connect to the call's meeting leg: the leg's own voice is never mixed back to the room. */
  attachCloud(leg: MeetingLegHandle): void;
  /** The room asked for a keyframe (SIP INFO picture_fast_update, H.245 videoFastUpdatePicture). */
  onRoomKeyframeRequest(): void;
  /** The room's signalling limits our video to it (H.245 flowControlCommand), bit/s; undefined lifts it. */
  limitVideoFromSignalling(bps: number | undefined): void;
  /** One key to the room as RFC 4733 events; false when the caller must fall back (INFO). */
  sendDtmf(digit: DtmfDigit, durationMs?: number): boolean;
  /** True when the room negotiated telephone-event at its audio clock. */
  readonly canSendRfc4733: boolean;
  dtmfStats(): CallDtmfStats;
  /** Counters; from a worker thread, the latest snapshot (refreshed every second and on changes). */
  stats(): CallMediaStats;
  on<K extends keyof CallMediaEvents>(event: K, listener: Listener<CallMediaEvents, K>): unknown;
  off<K extends keyof CallMediaEvents>(event: K, listener: Listener<CallMediaEvents, K>): unknown;
  /** Stop media, free the ports. Idempotent. */
  close(): void;
}

/** Events of a meeting leg that reach the call. */
export interface MeetingLegHandleEvents {
  /** The meeting is over for this leg (room closed, socket lost, ICE/DTLS failed, worker lost). */
  ended: [reason: string];
  /** A participant asks this leg to send a key to the room (PROTOCOL.md `dtmfRequest`). */
  'dtmf-request': [digit: string, durationMs: number | undefined, fromPeerId: string];
}

/** One call's WebRTC leg in the meeting, as the control thread drives it. */
export interface MeetingLegHandle {
  readonly peerId: string;
  on<K extends keyof MeetingLegHandleEvents>(event: K, listener: Listener<MeetingLegHandleEvents, K>): unknown;
  off<K extends keyof MeetingLegHandleEvents>(event: K, listener: Listener<MeetingLegHandleEvents, K>): unknown;
  /** Tell the meeting the room pressed a key. */
  sendDtmf(digit: string, durationMs: number): void;
  /** Leave the meeting. Idempotent. */
  leave(): Promise<void>;
  stats(): MeetingLegStats;
}

/** What a call asks for its media. */
export interface CreateMediaOptions {
  bindAddress: string;
  /** Allocate a video port pair too. Default true. */
  video?: boolean;
  /** The call's logger (call id in every line). */
  logger: import('../../rtp/index.ts').Logger;
}

/** What a call asks to join its meeting. */
export interface JoinOptions {
  roomId: string;
  displayName: string;
  video: boolean;
  logger: import('../../rtp/index.ts').Logger;
}

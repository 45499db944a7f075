import type { DtmfDigit } from './dtmf/dtmf-digit.ts';
import type { Logger } from '../rtp/logger.ts';
import type { PortAllocator } from '../rtp/port-allocator.ts';
import type { MixHubLease } from './audio/mix/meeting-mix-hub.ts';
import type { TickSource } from './media-ticker.ts';
import type { CloudAudioPlayoutStats } from './jitter/cloud-audio-playout.ts';
import type { JitterBufferOptions } from './jitter/jitter-buffer.ts';
import type { RoomAudioPlayoutStats } from './jitter/room-audio-playout.ts';
import type { StreamQualitySnapshot } from './jitter/stream-quality.ts';
import type { RoomBitrateLimitStats } from './video/room-bitrate-limit.ts';

/** Options of CallMedia.create. */
export interface CallMediaOptions {
  /** Allocates the room-side RTP/RTCP port pairs (audio and video). */
  ports: PortAllocator;
  /** Local address the room-side sockets bind to, e.g. '127.0.0.1' or '0.0.0.0'. */
  bindAddress: string;
  logger: Logger;
  /** Allocate a video port pair too. Default true. */
  video?: boolean;
  /** Meeting sources silent for this long are dropped from the mix, ms. Default 1000. */
  sourceTimeoutMs?: number;
  /** Minimum spacing of keyframe requests in either direction, ms. Default 500. */
  keyframeMinIntervalMs?: number;
  /** A keyframe request the room leaves unanswered this long is repeated (at most 3 times), ms. Default 1000. */
  keyframeRetryMs?: number;
  /** RTCP sender report interval toward the room, ms. Default 5000 (RFC 3550 6.2). */
  rtcpIntervalMs?: number;
  /** 20 ms clock of the meeting → room path. Default: the thread's shared ticker. */
  ticker?: TickSource;
  /**
   * The meeting's shared mix (one decode per meeting source, one encode per distinct mix for
   * every room of the meeting). Released when the media closes. Default: this call mixes alone.
   */
  mixHub?: MixHubLease;
  /**
   * Adaptive jitter buffers with loss concealment on both audio paths (bridge/jitter), `true`
   * for the defaults (20-200 ms). Default off here (in-memory tests drive media without a
   * clock); the gateway turns it on.
   */
  jitterBuffer?: boolean | Omit<JitterBufferOptions, 'clockRate'>;
  /** Neither RTP nor RTCP from the room for this long emits 'media-timeout', ms. Default 0 (off). */
  mediaTimeoutMs?: number;
}

export interface DirectionCounters {
  packets: number;
  bytes: number;
}

/** Counters of one call's media. "in"/"out" are seen from the gateway, per side. */
export interface CallMediaStats {
  room: {
    audioIn: DirectionCounters;
    audioOut: DirectionCounters;
    videoIn: DirectionCounters;
    videoOut: DirectionCounters;
    rtcpIn: DirectionCounters;
    rtcpOut: DirectionCounters;
  };
  cloud: {
    audioIn: DirectionCounters;
    audioOut: DirectionCounters;
    videoIn: DirectionCounters;
    videoOut: DirectionCounters;
  };
  /** Network input dropped as malformed (RTP/RTCP decode failures, bad payloads). */
  malformedDropped: number;
  /** Codec decode failures (Opus/G.711 frames that could not be decoded). */
  decodeErrors: number;
  keyframeRequestsToCloud: number;
  keyframeRequestsToRoom: number;
  /** The room's video bit rate limit (SDP b=, RTCP TMMBR/REMB) and what is in force; set by stats(). */
  videoBitrateLimit?: RoomBitrateLimitStats;
  /** Keyframe requests repeated because the room sent no keyframe within a second (some ignore the first). */
  keyframeRetriesToRoom: number;
  /** Meeting audio sources currently in the mix. */
  activeCloudAudioSources: number;
  /** Switches of the meeting video source the room sees (each starts on a keyframe). */
  videoSourceSwitches: number;
  /** Meeting video packets held back while a new source had not sent its keyframe yet. */
  videoHeldForKeyframe: number;
  /** Reception quality both ways (RFC 3550 6.4): the room's streams here, ours at the room. */
  quality?: { audio: StreamQualitySnapshot; video: StreamQualitySnapshot };
  /** Jitter buffers (present when enabled): the room's audio, and the meeting's sources. */
  jitter?: { roomAudio?: RoomAudioPlayoutStats; cloudAudio?: CloudAudioPlayoutStats };
  /** SRTP toward the room, when negotiated: suite and dropped packets (auth failures, replays). */
  srtp?: { suite: string; authFailures: number; replays: number };
}

/** CallMedia's events (control events). */
export interface CallMediaEvents {
  /** The meeting wants a keyframe from the room: the gateway sends SIP INFO picture_fast_update. */
  'room-keyframe-needed': [];
  /** The room pressed a key, sent as RFC 4733 events (one per event; bridge/dtmf). */
  dtmf: [digit: DtmfDigit, durationMs: number, startedAtMs: number];
  /** The first packet of an RFC 4733 event arrived (the digit follows with 'dtmf'). */
  'dtmf-start': [digit: DtmfDigit, atMs: number];
  /** The room's media source address was latched or changed (symmetric RTP). */
  'remote-latched': [kind: 'audio' | 'video', address: string, port: number];
  /** No RTP nor RTCP from the room for mediaTimeoutMs (not on hold): the gateway hangs up. */
  'media-timeout': [silentMs: number];
}

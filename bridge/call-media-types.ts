import type { Logger } from '../rtp/logger.ts';
import type { PortAllocator } from '../rtp/port-allocator.ts';
import type { TickSource } from './media-ticker.ts';

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
  /** RTCP sender report interval toward the room, ms. Default 5000 (RFC 3550 6.2). */
  rtcpIntervalMs?: number;
  /** 20 ms clock of the meeting → room path. Default: the thread's shared ticker. */
  ticker?: TickSource;
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
  /** Meeting audio sources currently in the mix. */
  activeCloudAudioSources: number;
  /** SRTP toward the room, when negotiated: suite and dropped packets (auth failures, replays). */
  srtp?: { suite: string; authFailures: number; replays: number };
}

/** CallMedia's events (control events). */
export interface CallMediaEvents {
  /** The meeting wants a keyframe from the room: the gateway sends SIP INFO picture_fast_update. */
  'room-keyframe-needed': [];
  /** The room's media source address was latched or changed (symmetric RTP). */
  'remote-latched': [kind: 'audio' | 'video', address: string, port: number];
}

import type { SrtpParameters } from '../rtp/index.ts';

/** What the gateway negotiated with the room (from the SDP answer it built). */
export type AudioCodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus';

export interface NegotiatedAudio {
  /** Room's RTP port for audio (RTCP is port+1 unless muxed or `rtcpPort`). */
  port: number;
  /** Room's RTCP port when announced apart (H.245 mediaControlChannel); default port+1. */
  rtcpPort?: number;
  payloadType: number;
  codec: AudioCodecName;
  /** RTP clock rate, Hz: 8000 for G.711 and G.722 (RFC 3551 4.5.2: G.722 samples at 16 kHz), 48000 for Opus. */
  clockRate: number;
  channels: number;
  /** Packetisation interval the room asked for (a=ptime), ms; default 20. */
  ptimeMs: number;
  /** RFC 4733 telephone-event payload type, if negotiated. */
  telephoneEventPt?: number;
  /** Clock of that telephone-event, Hz. Default clockRate (Opus rooms may use 8000). */
  telephoneEventRate?: number;
  /**
   * RFC 3389 comfort noise payload type, if negotiated (static 13 or a dynamic one from the SDP),
   * always on the audio codec's clock (CN/8000 beside G.711 and G.722).
   */
  cnPt?: number;
  /** The room's a= direction (RFC 3264 5.1); recvonly/inactive = the room does not send (hold). */
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** SDES-negotiated SRTP suite and keys (RFC 4568); absent = plain RTP. */
  srtp?: SrtpParameters;
}

export interface NegotiatedVideo {
  port: number;
  /** Room's RTCP port when announced apart (H.245 mediaControlChannel); default port+1. */
  rtcpPort?: number;
  payloadType: number;
  codec: 'H264';
  fmtp?: string;
  /** SDES-negotiated SRTP suite and keys (RFC 4568); absent = plain RTP. */
  srtp?: SrtpParameters;
  /**
   * The most video the room wants to receive, bit/s, from its SDP `b=TIAS` (RFC 3890) or `b=AS`
   * (RFC 4566 5.8) on the video m-line or the session; absent = no limit stated.
   */
  maxBitrateBps?: number;
}

export interface NegotiatedMedia {
  /** Room's media address (c= line); the initial target until latching (symmetric RTP). */
  address: string;
  audio?: NegotiatedAudio;
  video?: NegotiatedVideo;
}

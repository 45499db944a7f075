import type { SrtpParameters } from '../rtp/index.ts';

/** What the gateway negotiated with the room (from the SDP answer it built). */
export type AudioCodecName = 'PCMU' | 'PCMA' | 'opus';

export interface NegotiatedAudio {
  /** Room's RTP port for audio (RTCP is port+1 unless muxed). */
  port: number;
  payloadType: number;
  codec: AudioCodecName;
  /** Hz: 8000 for G.711, 48000 for Opus. */
  clockRate: number;
  channels: number;
  /** Packetisation interval the room asked for (a=ptime), ms; default 20. */
  ptimeMs: number;
  /** RFC 4733 telephone-event payload type, if negotiated. */
  telephoneEventPt?: number;
  /** SDES-negotiated SRTP suite and keys (RFC 4568); absent = plain RTP. */
  srtp?: SrtpParameters;
}

export interface NegotiatedVideo {
  port: number;
  payloadType: number;
  codec: 'H264';
  fmtp?: string;
  /** SDES-negotiated SRTP suite and keys (RFC 4568); absent = plain RTP. */
  srtp?: SrtpParameters;
}

export interface NegotiatedMedia {
  /** Room's media address (c= line); the initial target until latching (symmetric RTP). */
  address: string;
  audio?: NegotiatedAudio;
  video?: NegotiatedVideo;
}

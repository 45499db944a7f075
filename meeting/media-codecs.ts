import type { types } from 'mediasoup';

/**
 * Router codecs in preference order (PROTOCOL.md "Media"): Opus, H.264 packetization-mode 1,
 * H.264 packetization-mode 0, VP8. H.264 comes before VP8 so rooms receive H.264 untranscoded.
 * Header extensions and RTCP feedback (nack, pli, fir, goog-remb, transport-cc) are added by
 * mediasoup from its supported capabilities.
 */
export const routerMediaCodecs: types.RouterRtpCodecCapability[] = [
  // RFC 7587: Opus is always signalled as 48000/2
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    // RFC 6184 8.1: profile-level-id 42e01f = Constrained Baseline level 3.1
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 0, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
  },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

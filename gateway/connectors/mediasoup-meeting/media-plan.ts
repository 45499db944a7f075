import { RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters } from 'werift';
import { MeetingMediaError } from './errors.ts';
import type { RtpCapabilities, RtpCodecCapability, RtcpFeedback } from './wire-types.ts';

/**
 * What the leg negotiates, derived from the router's capabilities (the meeting's `join` answer):
 * the codecs werift is configured with (payload types and header extension ids taken from the
 * router, so that what werift sends and what mediasoup sends share one numbering on the single
 * BUNDLE transport, RFC 8843 9.1) and the receive capabilities sent with `setRtpCapabilities`.
 */
export interface MediaPlan {
  audio: RTCRtpCodecParameters;
  /** Absent when video was not requested or the router has no H.264 packetization-mode 1. */
  video?: RTCRtpCodecParameters;
  headerExtensions: { audio: RTCRtpHeaderExtensionParameters[]; video: RTCRtpHeaderExtensionParameters[] };
  /** What werift can really receive: Opus; H.264 with nack, nack pli, ccm fir. */
  recvCapabilities: RtpCapabilities;
}

/** Header extensions werift writes (sender) and parses (receiver) itself. */
const USED_EXTENSIONS = [
  'urn:ietf:params:rtp-hdrext:sdes:mid', // RFC 9143 15: BUNDLE demux by MID
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
];

/** RFC 4585 4.2 / RFC 5104 7.1: feedback werift's video receiver and sender act on. */
const VIDEO_FEEDBACK: RtcpFeedback[] = [
  { type: 'nack', parameter: '' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];

/** RFC 6184 8.1: Constrained Baseline, level 3.1. */
export const H264_PROFILE_LEVEL_ID = '42e01f';

export function planMedia(router: RtpCapabilities, wantVideo: boolean): MediaPlan {
  const opus = router.codecs.find(
    (c) => c.kind === 'audio' && c.mimeType.toLowerCase() === 'audio/opus' && c.clockRate === 48000 && (c.channels ?? 1) === 2,
  );
  if (!opus || opus.preferredPayloadType === undefined) {
    throw new MeetingMediaError('meeting router offers no Opus 48000/2');
  }
  const h264 = wantVideo ? findH264(router.codecs) : undefined;

  const audio = new RTCRtpCodecParameters({
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    payloadType: opus.preferredPayloadType,
    // RFC 7587 6.1
    parameters: 'minptime=10;useinbandfec=1',
    rtcpFeedback: [],
  });
  const video =
    h264 && h264.preferredPayloadType !== undefined
      ? new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          payloadType: h264.preferredPayloadType,
          // RFC 6184 8.1: packetization-mode 1 (non-interleaved), Constrained Baseline 3.1
          parameters: `packetization-mode=1;profile-level-id=${H264_PROFILE_LEVEL_ID};level-asymmetry-allowed=1`,
          rtcpFeedback: VIDEO_FEEDBACK.map((f) => ({ type: f.type, parameter: f.parameter || undefined })),
        })
      : undefined;

  const extsFor = (kind: 'audio' | 'video') =>
    router.headerExtensions
      .filter((e) => e.kind === kind && USED_EXTENSIONS.includes(e.uri) && e.direction !== 'recvonly' && e.direction !== 'inactive')
      .map((e) => ({ uri: e.uri, id: e.preferredId }));
  const audioExts = extsFor('audio');
  const videoExts = video ? extsFor('video') : [];

  const recvCodecs: RtpCodecCapability[] = [
    { kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: audio.payloadType, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] },
  ];
  if (video) {
    recvCodecs.push({
      kind: 'video',
      mimeType: 'video/H264',
      preferredPayloadType: video.payloadType,
      clockRate: 90000,
      parameters: { 'packetization-mode': 1, 'profile-level-id': H264_PROFILE_LEVEL_ID, 'level-asymmetry-allowed': 1 },
      rtcpFeedback: VIDEO_FEEDBACK,
    });
  }
  return {
    audio,
    video,
    headerExtensions: {
      audio: audioExts.map((e) => new RTCRtpHeaderExtensionParameters(e)),
      video: videoExts.map((e) => new RTCRtpHeaderExtensionParameters(e)),
    },

    recvCapabilities: {
      codecs: recvCodecs,
      headerExtensions: [
        ...audioExts.map((e) => ({ kind: 'audio' as const, uri: e.uri, preferredId: e.id, preferredEncrypt: false, direction: 'sendrecv' })),
        ...videoExts.map((e) => ({ kind: 'video' as const, uri: e.uri, preferredId: e.id, preferredEncrypt: false, direction: 'sendrecv' })),
      ],
    },
  };
}

/** H.264 packetization-mode 1 with a Constrained Baseline profile (RFC 6184 8.1 profile_idc 0x42, constraint_set1). */
function findH264(codecs: RtpCodecCapability[]): RtpCodecCapability | undefined {
  const candidates = codecs.filter(
    (c) => c.kind === 'video' && c.mimeType.toLowerCase() === 'video/h264' && Number(c.parameters?.['packetization-mode'] ?? 0) === 1,
  );
  return (
    candidates.find((c) => String(c.parameters?.['profile-level-id'] ?? '').toLowerCase() === H264_PROFILE_LEVEL_ID) ??
    candidates.find((c) => /^42[ce]0/i.test(String(c.parameters?.['profile-level-id'] ?? '')))
  );
}

/** `a=fmtp` parameter string (RFC 8866 6.15) to an object; numeric values become numbers. */
export function parseFmtp(fmtp: string | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (!fmtp) return out;
  for (const part of fmtp.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // profile-level-id is hex text (RFC 6184 8.1) and must stay a string
    out[key] = key !== 'profile-level-id' && /^\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** An object of codec parameters back to an `a=fmtp` string. */
export function formatFmtp(params: Record<string, string | number> | undefined): string | undefined {
  if (!params) return undefined;
  const parts = Object.entries(params).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(';') : undefined;
}

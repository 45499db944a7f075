// H.245 media capabilities ⇄ the bridge's NegotiatedMedia: the codecs an H.323 room can use with
// roomgate (G.711 µ/A-law and G.722 audio per H.245 AudioCapability, H.264 video per H.241),
// their RTP payload types (RFC 3551 static types; H.264 dynamic, from dynamicRTPPayloadType).
import type { AudioCodecName, NegotiatedAudio, NegotiatedMedia, NegotiatedVideo } from '../../bridge/index.ts';
import type { CapabilityEntry, IpPort, MediaCapability } from '../../h323/asn1/index.ts';
import type { FlowControl } from '../../h323/h245/index.ts';

/** H.241 profile bit for Baseline (booleanArray 64) and level 3.1 (H.241 Table 8-x: 71 = 3.1). */
export const GATEWAY_H264: MediaCapability = { codec: 'h264', maxBitRate: 20_000, profile: 64, level: 71 };
/** framesPerPacket for G.711/G.722 = ms of audio per packet (H.245 AudioCapability); 20 ms. */
const FPP = 20;

/** Our receive capabilities in our TerminalCapabilitySet, in order of preference. */
export function gatewayCapabilities(video: boolean): CapabilityEntry[] {
  return [
    { codec: 'g711Ulaw64k', framesPerPacket: FPP },
    { codec: 'g711Alaw64k', framesPerPacket: FPP },
    { codec: 'g722-64k', framesPerPacket: FPP },
    ...(video ? [GATEWAY_H264] : []),
    'userInput',
    'dtmf',
  ];
}

const AUDIO: Record<string, { codec: AudioCodecName; payloadType: number }> = {
  g711Ulaw64k: { codec: 'PCMU', payloadType: 0 },
  g711Alaw64k: { codec: 'PCMA', payloadType: 8 },
  'g722-64k': { codec: 'G722', payloadType: 9 }, // RFC 3551 4.5.2: clock 8000 though it samples at 16 kHz
};

export function carriesCodec(m: MediaCapability): boolean {
  return m.codec in AUDIO || m.codec === 'h264';
}

/** The room's audio on `port`: the codec both directions use, 20 ms packets, no RFC 4733 (DTMF rides in H.245). */
export function negotiatedAudio(m: MediaCapability, port: number, rtcpPort?: number): NegotiatedAudio | undefined {
  const a = AUDIO[m.codec];
  if (!a) return undefined;
  return { port, ...(rtcpPort ? { rtcpPort } : {}), payloadType: a.payloadType, codec: a.codec, clockRate: 8000, channels: 1, ptimeMs: 20 };
}

export function negotiatedVideo(m: MediaCapability, port: number, payloadType: number | undefined, rtcpPort?: number): NegotiatedVideo | undefined {
  if (m.codec !== 'h264') return undefined;
  // H.241 8.1 / RFC 6184: single NAL and non-interleaved packetization both arrive; mode 1 lets us send FU-A
  // H.245 maxBitRate is in units of 100 bit/s: the channel's limit, as b=TIAS is for SIP rooms
  // (bridge: the simulcast layer sent to the room fits it)
  const limit = m.maxBitRate ? { maxBitrateBps: m.maxBitRate * 100 } : {};
  return { port, ...(rtcpPort ? { rtcpPort } : {}), payloadType: payloadType ?? 96, codec: 'H264', fmtp: 'packetization-mode=1', ...limit };
}

/** A room's media toward it: its RTP address (mediaChannel) and, when announced, its RTCP address (mediaControlChannel). */
export interface RoomMediaAddress {
  media: MediaCapability;
  rtp: IpPort;
  rtcp?: IpPort;
}

/**
 * The room's RTCP port for the channel toward it, as its answer announced it (H.245
 * H2250LogicalChannelParameters / H2250LogicalChannelAckParameters mediaControlChannel), instead of
 * RTP port + 1; only on the RTP address's host (NegotiatedMedia has one address; RTCP latching
 * follows the room's own RTCP anyway).
 */
function rtcpPortOf(a: RoomMediaAddress): number | undefined {
  return a.rtcp && a.rtcp.ip === a.rtp.ip ? a.rtcp.port : undefined;
}

/** `{ rtcp }` from a channel's or an answer's mediaControlChannel, when there is one. */
export function rtcpOf(c: { mediaControlChannel?: IpPort | undefined }): { rtcp?: IpPort } {
  return c.mediaControlChannel ? { rtcp: c.mediaControlChannel } : {};
}

/** NegotiatedMedia from the room's receive addresses (its toRoom mediaChannels and mediaControlChannels). */
export function negotiatedMedia(audio?: RoomMediaAddress, video?: RoomMediaAddress & { payloadType?: number }): NegotiatedMedia {
  const address = audio?.rtp.ip ?? video?.rtp.ip ?? '0.0.0.0';
  const a = audio ? negotiatedAudio(audio.media, audio.rtp.port, rtcpPortOf(audio)) : undefined;
  const v = video ? negotiatedVideo(video.media, video.rtp.port, video.payloadType, rtcpPortOf(video)) : undefined;
  return { address, ...(a ? { audio: a } : {}), ...(v ? { video: v } : {}) };
}

/** What one audio channel of ours takes of a whole-multiplex limit: G.711/G.722 at 64 kbit/s. */
const AUDIO_CHANNEL_BPS = 64_000;

/**
 * The limit a room's flowControlCommand sets on the video we send it, bit/s (H.245
 * FlowControlCommand: maximumBitRate in 100 bit/s; noRestriction lifts it → `undefined`).
 * Scope logicalChannelNumber names one channel the commanded side transmits: only our video
 * channel's matters here. Scope wholeMultiplex bounds everything we send: video gets what audio
 * leaves. Anything else (another channel, resourceID) does not limit our video → `'ignore'`.
 */
export function videoLimitFromFlowControl(fc: FlowControl, ourVideoChannel: number): number | undefined | 'ignore' {
  const bps = fc.maximumBitRate !== undefined ? fc.maximumBitRate * 100 : undefined;
  if (fc.scope === 'logicalChannelNumber') return fc.channel === ourVideoChannel ? bps : 'ignore';
  if (fc.scope === 'wholeMultiplex') return bps === undefined ? undefined : Math.max(0, bps - AUDIO_CHANNEL_BPS);
  return 'ignore';
}

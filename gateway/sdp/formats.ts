import type sdpTransform from 'sdp-transform';
import type { NegotiatedAudio } from '../../bridge/index.ts';
import type { AudioCodecName } from '../../config/index.ts';

/** Payload formats of SDP m-lines, shared by the answerer (negotiate.ts) and the offerer (offer.ts). */

export type MediaSection = sdpTransform.MediaDescription;

/** One payload format listed on an m-line, with its rtpmap/fmtp resolved. */
export interface OfferedFormat {
  pt: number;
  codec: string;
  rate: number;
  channels: number;
  fmtp?: string;
}

// RFC 3551 6: static payload types we understand without an rtpmap.
const STATIC_PT: Record<number, { codec: string; rate: number; channels: number }> = {
  0: { codec: 'PCMU', rate: 8000, channels: 1 },
  8: { codec: 'PCMA', rate: 8000, channels: 1 },
  9: { codec: 'G722', rate: 8000, channels: 1 }, // RFC 3551 4.5.2: clock rate 8000, sampled at 16 kHz
  13: { codec: 'CN', rate: 8000, channels: 1 }, // RFC 3551 6 / RFC 3389 5: comfort noise
};

/** The formats of an m-line in the order listed (RFC 4566 5.14), unknown dynamic types skipped. */
export function offeredFormats(section: MediaSection): OfferedFormat[] {
  const pts = String(section.payloads ?? '')
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
  return pts.flatMap((pt) => {
    const rtp = section.rtp?.find((r) => r.payload === pt);
    const fmtp = section.fmtp?.find((f) => f.payload === pt)?.config;
    if (rtp) {
      return [{ pt, codec: rtp.codec, rate: rtp.rate ?? 8000, channels: Number(rtp.encoding ?? 1), ...(fmtp ? { fmtp } : {}) }];
    }
    const known = STATIC_PT[pt];
    return known ? [{ pt, codec: known.codec, rate: known.rate, channels: known.channels }] : [];
  });
}

export function canonicalAudio(codec: string): AudioCodecName | undefined {
  const upper = codec.toUpperCase();
  if (upper === 'PCMU') return 'PCMU';
  if (upper === 'PCMA') return 'PCMA';
  if (upper === 'G722') return 'G722';
  if (upper === 'OPUS') return 'opus';
  return undefined;
}

/** RFC 3264 6.1: the answerer should honour the offerer's order; we take the first we support. */
export function firstSupportedAudio(formats: OfferedFormat[], supported: readonly AudioCodecName[]): OfferedFormat | undefined {
  return formats.find((f) => {
    const name = canonicalAudio(f.codec);
    if (!name || !supported.includes(name)) return false;
    if (name === 'opus') return f.rate === 48000; // RFC 7587 7: opus/48000/2 always
    return f.rate === 8000; // G.711, and G.722 whose RTP clock is 8000 too (RFC 3551 4.5.2)
  });
}

/**
 * The answerer's choice: the offerer's order (RFC 3264 6.1), except that a G.711 choice gives way
 * to G.722 offered on the same m-line when we support it. RFC 3264 6.1 lets the answerer keep its
 * own preference for a reason; wideband (50-7000 Hz) speech at the same 64 kbit/s is one.
 */
export function preferredAudio(formats: OfferedFormat[], supported: readonly AudioCodecName[]): OfferedFormat | undefined {
  const first = firstSupportedAudio(formats, supported);
  if (!first || (first.codec.toUpperCase() !== 'PCMU' && first.codec.toUpperCase() !== 'PCMA')) return first;
  return firstSupportedAudio(formats.filter((f) => canonicalAudio(f.codec) === 'G722'), supported) ?? first;
}

/** RFC 6184 8.1: prefer packetization-mode 1 (what browsers send), else mode 0. */
export function chooseH264(formats: OfferedFormat[]): OfferedFormat | undefined {
  const h264 = formats.filter((f) => f.codec.toUpperCase() === 'H264' && f.rate === 90000);
  const mode = (f: OfferedFormat) => /packetization-mode=(\d)/.exec(f.fmtp ?? '')?.[1] ?? '0';
  return h264.find((f) => mode(f) === '1') ?? h264.find((f) => mode(f) === '0');
}

/** RFC 3264 5/6: RTP/AVP or RTP/AVPF (SRTP profiles come with issue #4). */
export function isPlainRtp(section: MediaSection): boolean {
  return /^RTP\/AVPF?$/i.test(section.protocol);
}

/**
 * The telephone-event format (RFC 4733) at the chosen audio codec's clock rate, if offered;
 * else telephone-event/8000, which Opus terminals (baresip, browsers) pair with opus/48000.
 */
export function telephoneEventFor(formats: OfferedFormat[], audio: OfferedFormat): OfferedFormat | undefined {
  const te = formats.filter((f) => f.codec.toLowerCase() === 'telephone-event');
  return te.find((f) => f.rate === audio.rate) ?? te.find((f) => f.rate === 8000);
}

/**
 * The comfort noise format (RFC 3389) to pair with the chosen audio codec, if offered: CN on the
 * codec's own RTP clock (RFC 3389 4: CN packets are timestamped on the timeline of the speech they
 * stand between). That is CN/8000 for G.711 and, as G.722's RTP clock is 8000 too (RFC 3551
 * 4.5.2), for G.722. Opus has its own DTX (RFC 7587 3.1.3): no CN with it.
 */
export function comfortNoiseFor(formats: OfferedFormat[], audio: OfferedFormat): OfferedFormat | undefined {
  if (canonicalAudio(audio.codec) === 'opus') return undefined;
  return formats.find((f) => f.codec.toUpperCase() === 'CN' && f.rate === audio.rate && f.channels === 1);
}

/** What the bridge needs to know of the agreed audio stream of one m-line. */
export function negotiatedAudio(section: MediaSection, choice: OfferedFormat, telephoneEvent?: OfferedFormat, comfortNoise?: OfferedFormat): NegotiatedAudio {
  return {
    port: section.port,
    payloadType: choice.pt,
    codec: canonicalAudio(choice.codec)!,
    clockRate: choice.rate,
    channels: choice.channels,
    ptimeMs: section.ptime ?? 20,
    ...(telephoneEvent ? { telephoneEventPt: telephoneEvent.pt } : {}),
    ...(telephoneEvent && telephoneEvent.rate !== choice.rate ? { telephoneEventRate: telephoneEvent.rate } : {}),
    ...(comfortNoise ? { cnPt: comfortNoise.pt } : {}),
  };
}

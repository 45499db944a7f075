import sdpTransform from 'sdp-transform';
import type { NegotiatedMedia } from '../../bridge/index.ts';
import type { AudioCodecName } from '../../config/index.ts';
import { receiveBitrateLimit } from './bandwidth.ts';
import { answerSdes, cryptoAttributesBySection, type SrtpPolicy } from './sdes.ts';
import { chooseH264, comfortNoiseFor, negotiatedAudio, preferredAudio, offeredFormats, telephoneEventFor, type MediaSection, type OfferedFormat } from './formats.ts';

export type { NegotiatedMedia };

/** The offer cannot be answered; `status` and `warning` go into the SIP response. */
export class OfferRejected extends Error {
  override readonly name = 'OfferRejected';
  constructor(
    message: string,
    /** RFC 3261 21.4.26 488 Not Acceptable Here, or 400 for an unparsable body. */
    readonly status: 488 | 400,
    /** RFC 3261 20.43 warn-code: 304 media type not available, 305 incompatible media format. */
    readonly warnCode: 304 | 305 | 399,
  ) {
    super(message);
  }
}

export interface CodecPolicy {
  audio: readonly AudioCodecName[];
  video: readonly 'H264'[];
}

/** Our local ports and address to put in the answer. */
export interface LocalMedia {
  address: string;
  audioPort: number;
  videoPort: number;
  sessionId: string;
  sessionVersion: number;
}

/** The answer we will send, per offered m-line, and the media agreement it implies. */
export interface Negotiation {
  negotiated: NegotiatedMedia;
  answer: (local: LocalMedia) => string;
}

type Accepted = { section: MediaSection; format?: OfferedFormat; telephoneEvent?: OfferedFormat; comfortNoise?: OfferedFormat; crypto?: string };

/**
 * RFC 3264 6: builds an answer to `offerSdp` that keeps every m-line, accepting what we support.
 * `srtp` is the SDES policy of the trunk (or the global default) the call came in on (sdes.ts);
 * `previous` is what an earlier offer/answer of the same session agreed (re-INVITE).
 */
export function negotiateOffer(offerSdp: string, policy: CodecPolicy, srtp: SrtpPolicy = 'off', previous?: NegotiatedMedia): Negotiation {
  let offer: sdpTransform.SessionDescription;
  try {
    offer = sdpTransform.parse(offerSdp);
  } catch (err) {
    throw new OfferRejected(`unparsable SDP: ${(err as Error).message}`, 400, 399);
  }
  if (!offer.media || offer.media.length === 0) throw new OfferRejected('SDP offer has no m= line', 488, 304);

  const sessionAddress = offer.connection?.ip;
  const accepted: Accepted[] = [];
  const negotiated: NegotiatedMedia = { address: '' };
  const crypto = cryptoAttributesBySection(offerSdp);
  let securityRefusal: string | undefined;

  offer.media.forEach((section, i) => {
    // RFC 4568 7.1.2: the transport profile and crypto attributes decide SRTP per m-line.
    const before = section.type === 'video' ? previous?.video?.srtp : section.type === 'audio' ? previous?.audio?.srtp : undefined;
    const sdes = section.port === 0 ? undefined : answerSdes(section.protocol, crypto[i] ?? [], srtp, before);
    if (sdes && !sdes.accept && section.type === 'audio') securityRefusal ??= sdes.reason;
    const usable = sdes?.accept === true;
    const security = sdes?.accept && sdes.srtp ? { srtp: sdes.srtp.params } : {};
    const cryptoLine = sdes?.accept && sdes.srtp ? { crypto: sdes.srtp.line } : {};
    const formats = offeredFormats(section);
    if (section.type === 'audio' && !negotiated.audio && usable) {
      const choice = preferredAudio(formats, policy.audio);
      if (choice) {
        const te = telephoneEventFor(formats, choice);
        const cn = comfortNoiseFor(formats, choice); // RFC 3389: answered only when offered
        negotiated.audio = { ...negotiatedAudio(section, choice, te, cn), ...security };
        const dir = section.direction ?? offer.direction; // RFC 4566 6: media level overrides session level
        if (dir) negotiated.audio.direction = dir as NonNullable<typeof negotiated.audio.direction>;
        negotiated.address ||= section.connection?.ip ?? sessionAddress ?? '';
        accepted.push({ section, format: choice, ...(te ? { telephoneEvent: te } : {}), ...(cn ? { comfortNoise: cn } : {}), ...cryptoLine });
        return;
      }
    }
    if (section.type === 'video' && !negotiated.video && usable && policy.video.includes('H264')) {
      const h264 = chooseH264(formats);
      if (h264) {
        const limit = receiveBitrateLimit(offer, section);
        negotiated.video = {
          port: section.port, payloadType: h264.pt, codec: 'H264', ...(h264.fmtp ? { fmtp: h264.fmtp } : {}), ...security,
          ...(limit !== undefined ? { maxBitrateBps: limit } : {}),
        };
        negotiated.address ||= section.connection?.ip ?? sessionAddress ?? '';
        accepted.push({ section, format: h264, ...cryptoLine });
        return;
      }
    }
    accepted.push({ section });
  });

  if (!negotiated.audio && securityRefusal) {
    // RFC 4568 7.1.2 / RFC 3261 21.4.26: no audio stream acceptable under our SRTP policy.
    throw new OfferRejected(securityRefusal, 488, 305);
  }
  if (!negotiated.audio) {
    const offeredNames = offer.media
      .filter((m) => m.type === 'audio')
      .flatMap((m) => offeredFormats(m).map((f) => f.codec))
      .join(' ');
    throw new OfferRejected(
      `no supported audio codec offered (offered: ${offeredNames || 'none'}; supported: ${policy.audio.join(' ')})`,
      488,
      305,
    );
  }
  if (!negotiated.address || negotiated.address === '0.0.0.0') {
    throw new OfferRejected('SDP offer has no usable connection address', 488, 399);
  }

  return { negotiated, answer: (local) => buildAnswer(offer, accepted, local) };
}

function buildAnswer(
  offer: sdpTransform.SessionDescription,
  accepted: Accepted[],
  local: LocalMedia,
): string {
  const lines = [
    'v=0',
    `o=roomgate ${local.sessionId} ${local.sessionVersion} IN IP4 ${local.address}`,
    's=roomgate',
    `c=IN IP4 ${local.address}`,
    't=0 0',
  ];
  for (const { section, format, telephoneEvent, comfortNoise, crypto } of accepted) {
    if (!format) {
      // RFC 3264 6: a rejected stream keeps its m-line with port zero and the offered formats.
      lines.push(`m=${section.type} 0 ${section.protocol} ${String(section.payloads ?? '0').split(/\s+/)[0]}`);
      continue;
    }
    const port = section.type === 'audio' ? local.audioPort : local.videoPort;
    const pts = [format.pt, ...(telephoneEvent ? [telephoneEvent.pt] : []), ...(comfortNoise ? [comfortNoise.pt] : [])];
    lines.push(`m=${section.type} ${port} ${section.protocol} ${pts.join(' ')}`);
    const channels = format.channels > 1 ? `/${format.channels}` : '';
    lines.push(`a=rtpmap:${format.pt} ${format.codec}/${format.rate}${channels}`);
    if (format.fmtp) lines.push(`a=fmtp:${format.pt} ${answerFmtp(format)}`);
    if (telephoneEvent) {
      lines.push(`a=rtpmap:${telephoneEvent.pt} telephone-event/${telephoneEvent.rate}`);
      lines.push(`a=fmtp:${telephoneEvent.pt} 0-15`);
    }
    if (comfortNoise) lines.push(`a=rtpmap:${comfortNoise.pt} CN/${comfortNoise.rate}`); // RFC 3389 5
    if (crypto) lines.push(crypto); // RFC 4568 5.1.2: one crypto attribute, the offer's tag, our key
    if (section.type === 'video') {
      for (const fb of section.rtcpFb ?? []) {
        const pt = fb.payload === '*' ? '*' : Number(fb.payload);
        if (pt !== '*' && pt !== format.pt) continue;
        const kind = `${fb.type}${fb.subtype ? ` ${fb.subtype}` : ''}`;
        if (['nack', 'nack pli', 'ccm fir'].includes(kind)) lines.push(`a=rtcp-fb:${fb.payload} ${kind}`);
      }
    } else {
      lines.push(`a=ptime:${section.ptime ?? 20}`);
    }
    lines.push(`a=${answerDirection(section.direction)}`);
  }
  void offer;
  return `${lines.join('\r\n')}\r\n`;
}

/** RFC 6184 8.2.2: we accept the offered parameters as they are (H.264 is passed through). */
function answerFmtp(format: OfferedFormat): string {
  return format.fmtp ?? '';
}

/** RFC 3264 6.1: sendonly ↔ recvonly, inactive stays inactive. */
function answerDirection(direction: string | undefined): string {
  switch (direction) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
    default:
      return 'sendrecv';
  }
}

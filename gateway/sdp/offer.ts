import sdpTransform from 'sdp-transform';
import type { NegotiatedMedia } from '../../bridge/index.ts';
import type { AudioCodecName } from '../../config/index.ts';
import { chooseH264, comfortNoiseFor, firstSupportedAudio, isPlainRtp, negotiatedAudio, offeredFormats, telephoneEventFor } from './formats.ts';
import type { CodecPolicy, LocalMedia } from './negotiate.ts';
import { receiveBitrateLimit } from './bandwidth.ts';
import { cryptoAttributesBySection, isSavp, srtpFromAnswer, type OfferSecurity } from './sdes.ts';

/** The SDP answer to our offer cannot be used; the call attempt ends with 488 semantics. */
export class AnswerRejected extends Error {
  override readonly name = 'AnswerRejected';
}

// Payload types we offer (RFC 3551 6 static ones; dynamic ones in 96-127, RFC 3551 3).
const AUDIO_FORMATS: Record<AudioCodecName, { pt: number; rtpmap: string; fmtp?: string }> = {
  PCMU: { pt: 0, rtpmap: 'PCMU/8000' },
  PCMA: { pt: 8, rtpmap: 'PCMA/8000' },
  G722: { pt: 9, rtpmap: 'G722/8000' }, // RFC 3551 4.5.2: 8000 although sampled at 16 kHz
  opus: { pt: 111, rtpmap: 'opus/48000/2', fmtp: 'minptime=10;useinbandfec=1' },
};
const TELEPHONE_EVENT_PT = 101;
/** RFC 3551 6: the static comfort noise payload type, CN/8000 (RFC 3389 5). */
const CN_PT = 13;
// RFC 6184 8.1: mode 1 first (what the meeting's browsers send), mode 0 for older terminals.
const H264_FORMATS = [
  { pt: 96, fmtp: 'profile-level-id=42e01f;packetization-mode=1' },
  { pt: 97, fmtp: 'profile-level-id=42e01f;packetization-mode=0' },
];

/**
 * RFC 3264 5: our offer toward a trunk: the trunk's audio codecs (+ telephone-event) and H.264.
 * With `security` (sdes.ts): SRTP policy required offers RTP/SAVP(F), optional RTP/AVP(F) with
 * best-effort SDES; both carry one crypto attribute per supported suite (RFC 4568 5.1).
 */
export function buildOffer(policy: CodecPolicy, local: LocalMedia, security?: OfferSecurity): string {
  const secure = security?.policy === 'required' ? 'S' : '';
  const lines = [
    'v=0',
    `o=roomgate ${local.sessionId} ${local.sessionVersion} IN IP4 ${local.address}`,
    's=roomgate',
    `c=IN IP4 ${local.address}`,
    't=0 0',
  ];
  const audio = policy.audio.map((c) => AUDIO_FORMATS[c]);
  // RFC 3389: CN/8000 accompanies the codecs on an 8000 Hz RTP clock (G.711, G.722: RFC 3551 4.5.2)
  const cn = policy.audio.some((c) => c !== 'opus');
  lines.push(`m=audio ${local.audioPort} RTP/${secure}AVP ${[...audio.map((f) => f.pt), TELEPHONE_EVENT_PT, ...(cn ? [CN_PT] : [])].join(' ')}`);
  for (const f of audio) {
    lines.push(`a=rtpmap:${f.pt} ${f.rtpmap}`);
    if (f.fmtp) lines.push(`a=fmtp:${f.pt} ${f.fmtp}`);
  }
  lines.push(`a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/8000`, `a=fmtp:${TELEPHONE_EVENT_PT} 0-15`);
  if (cn) lines.push(`a=rtpmap:${CN_PT} CN/8000`);
  lines.push('a=ptime:20');
  lines.push(...(security?.audio ?? []).map((c) => c.line), 'a=sendrecv');
  if (policy.video.includes('H264')) {
    lines.push(`m=video ${local.videoPort} RTP/${secure}AVPF ${H264_FORMATS.map((f) => f.pt).join(' ')}`);
    for (const f of H264_FORMATS) {
      lines.push(`a=rtpmap:${f.pt} H264/90000`, `a=fmtp:${f.pt} ${f.fmtp}`);
      lines.push(`a=rtcp-fb:${f.pt} nack`, `a=rtcp-fb:${f.pt} nack pli`, `a=rtcp-fb:${f.pt} ccm fir`);
    }
    lines.push(...(security?.video ?? []).map((c) => c.line), 'a=sendrecv');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * RFC 3264 6/7: reads the answer to an offer made by `buildOffer` with `policy`. The answerer
 * picks from what we offered, so the first listed format we know is the one to send.
 */
export function parseAnswer(answerSdp: string, policy: CodecPolicy, security?: OfferSecurity): NegotiatedMedia {
  let answer: sdpTransform.SessionDescription;
  try {
    answer = sdpTransform.parse(answerSdp);
  } catch (err) {
    throw new AnswerRejected(`unparsable SDP answer: ${(err as Error).message}`);
  }
  const sessionAddress = answer.connection?.ip;
  const negotiated: NegotiatedMedia = { address: '' };
  const crypto = cryptoAttributesBySection(answerSdp);
  for (const [i, section] of (answer.media ?? []).entries()) {
    if (section.port === 0 || !(isPlainRtp(section) || isSavp(section.protocol))) continue; // RFC 3264 6: a rejected stream
    // RFC 4568 7.1.3: SRTP when the answer accepted one of our crypto attributes (same tag and suite).
    const offered = section.type === 'video' ? security?.video : security?.audio;
    const srtp = offered && offered.length > 0 ? srtpFromAnswer(offered, crypto[i] ?? []) : undefined;
    if (!srtp && (isSavp(section.protocol) || security?.policy === 'required')) continue; // SRTP needed, no usable key
    const secured = srtp ? { srtp } : {};
    const formats = offeredFormats(section);
    const address = section.connection?.ip ?? sessionAddress ?? '';
    if (section.type === 'audio' && !negotiated.audio) {
      const choice = firstSupportedAudio(formats, policy.audio);
      if (!choice) continue;
      // RFC 3264 6.1: CN only when the answer kept it (a dynamic number from the answer works too)
      negotiated.audio = { ...negotiatedAudio(section, choice, telephoneEventFor(formats, choice), comfortNoiseFor(formats, choice)), ...secured };
      negotiated.address ||= address;
    } else if (section.type === 'video' && !negotiated.video && policy.video.includes('H264')) {
      const h264 = chooseH264(formats);
      if (!h264) continue;
      const limit = receiveBitrateLimit(answer, section);
      negotiated.video = {
        port: section.port, payloadType: h264.pt, codec: 'H264', ...(h264.fmtp ? { fmtp: h264.fmtp } : {}), ...secured,
        ...(limit !== undefined ? { maxBitrateBps: limit } : {}),
      };
      negotiated.address ||= address;
    }
  }
  if (!negotiated.audio) throw new AnswerRejected('the answer accepts none of the offered audio codecs');
  if (!negotiated.address || negotiated.address === '0.0.0.0') throw new AnswerRejected('the answer has no usable connection address');
  return negotiated;
}

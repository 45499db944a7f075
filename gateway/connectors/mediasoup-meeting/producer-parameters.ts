import type { RTCRtpTransceiver } from 'werift';
import { MeetingMediaError } from './errors.ts';
import { parseFmtp } from './media-plan.ts';
import type { RtpParameters } from './wire-types.ts';

/**
 * The `produce` rtpParameters for what werift really sends on a sendonly transceiver, read after
 * negotiation: its MID (RFC 9143), the negotiated codec and payload type, the header extensions
 * negotiated in the answer with their ids, its SSRC and the RTCP CNAME werift writes in SDES
 * (RFC 3550 6.5.1). mediasoup maps these onto the router's codec.
 */
export function producerRtpParameters(tx: RTCRtpTransceiver, cname: string): RtpParameters {
  const codec = tx.sender.codec;
  if (!codec || tx.mid === null) throw new MeetingMediaError(`${tx.kind} sender is not negotiated`);
  return {
    mid: tx.mid,
    codecs: [
      {
        mimeType: codec.mimeType,
        payloadType: codec.payloadType,
        clockRate: codec.clockRate,
        ...(codec.channels ? { channels: codec.channels } : {}),
        parameters: parseFmtp(codec.parameters),
        rtcpFeedback: codec.rtcpFeedback.map((f) => ({ type: f.type, parameter: f.parameter ?? '' })),
      },
    ],
    headerExtensions: tx.headerExtensions.map((e) => ({ uri: e.uri, id: e.id, encrypt: false, parameters: {} })),
    encodings: [{ ssrc: tx.sender.ssrc }],
    // werift sends compound SR + SDES (RFC 3550 6.1), not reduced-size RTCP (RFC 5506)
    rtcp: { cname, reducedSize: false },
  };
}

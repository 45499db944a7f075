import { randomInt } from 'node:crypto';
import type { Negotiation } from './sdp/negotiate.ts';

/**
 * The "discard" port (RFC 863) written in the m-lines of a signalling-only answer: the streams are
 * accepted but inactive, so no RTP or RTCP is expected on it and no socket is bound.
 */
export const SIGNALLING_ONLY_PORT = 9;

/**
 * The SDP answer of a call answered at the signalling layer only (dial plan target
 * `{ answer: signalling-only }`): the offer is negotiated as for any call, so the codecs are the
 * ones a real call would get, and every accepted stream is marked inactive (RFC 3264 6.1: "If the
 * answerer has no media to send or receive, the stream is marked inactive"). Rejected streams keep
 * port 0.
 */
export function signallingOnlyAnswer(negotiation: Negotiation, address: string): string {
  const answer = negotiation.answer({
    address,
    audioPort: SIGNALLING_ONLY_PORT,
    videoPort: SIGNALLING_ONLY_PORT,
    sessionId: String(randomInt(1, 2 ** 47)),
    sessionVersion: 1,
  });
  return answer.replace(/^a=(sendrecv|sendonly|recvonly)$/gm, 'a=inactive');
}

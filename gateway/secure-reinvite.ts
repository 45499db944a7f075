import type { CallMediaHandle } from './media-plane/handles.ts';
import type { Logger } from './logger.ts';
import { negotiateOffer, OfferRejected, type CodecPolicy, type NegotiatedMedia } from './sdp/negotiate.ts';
import type { SrtpPolicy } from './sdp/sdes.ts';

/** Our side of an established session: the SDP we last sent and what it agreed. */
export interface LocalSession {
  sdp: string;
  /** o= sess-id and sess-version (RFC 4566 5.2). */
  id: string;
  version: number;
  negotiated: NegotiatedMedia;
}

/** True when either stream of `n` runs SRTP. */
export function usesSrtp(n: NegotiatedMedia): boolean {
  return n.audio?.srtp !== undefined || n.video?.srtp !== undefined;
}

/**
 * Answers a re-INVITE's offer on an SRTP call (RFC 4568 7.1.4): unchanged keys keep our key and
 * the crypto contexts (RtpEndpoint keeps a context whose keys are the same), new keys get a new
 * key of ours and new contexts. The o= version goes up only when our SDP changes (RFC 3264 8).
 * Returns the new session to keep, or undefined after answering 488 (the session goes on as it
 * was, RFC 3261 14.2). A re-INVITE without an offer gets our last SDP.
 */
export function answerSecureReinvite(opts: {
  offer: string | undefined;
  respond: (status: number, sdp?: string) => void;
  session: LocalSession;
  media: CallMediaHandle;
  codecs: CodecPolicy;
  srtp: SrtpPolicy;
  address: string;
  log: Logger;
}): LocalSession | undefined {
  const { offer, session, media } = opts;
  if (offer === undefined) {
    opts.respond(200, session.sdp);
    return session;
  }
  let n;
  try {
    n = negotiateOffer(offer, opts.codecs, opts.srtp, session.negotiated);
  } catch (err) {
    if (!(err instanceof OfferRejected)) throw err;
    opts.log.info('re-INVITE refused', { error: err.message });
    opts.respond(488);
    return undefined;
  }
  const local = (version: number) => n.answer({
    address: opts.address, audioPort: media.audioPort, videoPort: media.videoPort, sessionId: session.id, sessionVersion: version,
  });
  const unchanged = local(session.version) === session.sdp;
  const version = unchanged ? session.version : session.version + 1;
  const sdp = unchanged ? session.sdp : local(version);
  const before = session.negotiated.audio?.srtp?.localKey;
  const after = n.negotiated.audio?.srtp?.localKey;
  const keptKeys = before !== undefined && after !== undefined && before.equals(after);
  media.setRemote(n.negotiated);
  opts.log.info('srtp re-INVITE answered', { keptKeys, unchanged, srtp: n.negotiated.audio?.srtp?.suite ?? 'off' });
  opts.respond(200, sdp);
  return { sdp, id: session.id, version, negotiated: n.negotiated };
}

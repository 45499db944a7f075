import * as sdpTransform from 'sdp-transform';
import { MeetingMediaError } from './errors.ts';
import { formatFmtp } from './media-plan.ts';
import type { RtpParameters, TransportResponse } from './wire-types.ts';

/**
 * The SDP bridge: mediasoup speaks ORTC-style parameters, werift speaks SDP. werift is always
 * the offerer (RFC 8829 5.2); this module writes the answer the mediasoup WebRtcTransport would
 * give if it spoke SDP, from its iceParameters/iceCandidates/dtlsParameters and, per m-section,
 * what the leg sends or the consumer it receives.
 *
 * - mediasoup WebRtcTransports are ICE-lite (RFC 8445 2.5): `a=ice-lite`, werift controls.
 * - DTLS: the answer says `a=setup:passive` (RFC 5763 5, RFC 8842 5.3), so werift is the DTLS
 *   client and the leg sends role 'client' in connectWebRtcTransport; mediasoup is the server.
 * - One BUNDLE group with every m-section (RFC 8843 7.3), rtcp-mux (RFC 5761) required.
 */

/** What the answer says about one m-section of the offer. */
export type SectionPlan =
  /** werift sends on it (a producer): answered recvonly, codec as offered. */
  | { role: 'send' }
  /** werift receives a consumer on it: answered sendonly with the consumer's codec and SSRC. */
  | { role: 'recv'; consumer: { consumerId: string; peerId: string; rtpParameters: RtpParameters } }
  /** Nothing on it (a free receive slot, or a section the leg does not use): inactive. */
  | { role: 'idle' };

export interface RemoteAnswerInput {
  /** werift's current local offer. */
  offerSdp: string;
  transport: TransportResponse;
  /** Plan per MID of the offer (RFC 8843: mids are unique within the BUNDLE). */
  planFor(mid: string): SectionPlan;
  sessionVersion: number;
}

/** Builds the answer werift takes as remote description. Throws MeetingMediaError. */
export function buildRemoteAnswer(input: RemoteAnswerInput): string {
  const offer = sdpTransform.parse(input.offerSdp);
  const { transport } = input;
  const candidates = transport.iceCandidates
    .filter((c) => c.protocol === 'udp') // werift gathers UDP only (iceUseTcp false)
    .map((c) => ({
      foundation: c.foundation,
      component: 1,
      transport: 'udp',
      priority: c.priority,
      ip: c.address ?? c.ip ?? '',
      port: c.port,
      type: c.type,
    }))
    .filter((c) => c.ip !== '');
  if (candidates.length === 0) throw new MeetingMediaError('meeting transport has no UDP ICE candidate');
  const fingerprints = transport.dtlsParameters.fingerprints;
  // RFC 8122 5: one fingerprint is enough; prefer sha-256 (what browsers use).
  const fingerprint = fingerprints.find((f) => f.algorithm.toLowerCase() === 'sha-256') ?? fingerprints[0]!;
  const address = candidates[0]!.ip;
  const ipVer = address.includes(':') ? 6 : 4;

  const media: sdpTransform.MediaDescription[] = offer.media.map((m) => {
    const mid = m.mid === undefined ? '' : String(m.mid);
    const plan = input.planFor(mid);
    const section: sdpTransform.MediaDescription = {
      type: m.type,
      port: candidates[0]!.port,
      protocol: 'UDP/TLS/RTP/SAVPF',
      payloads: '',
      rtp: [],
      fmtp: [],
      rtcpFb: [],
      ext: [],
      connection: { version: ipVer, ip: address },
      iceUfrag: transport.iceParameters.usernameFragment,
      icePwd: transport.iceParameters.password,
      fingerprint: { type: fingerprint.algorithm, hash: fingerprint.value },
      setup: 'passive',
      mid,
      rtcpMux: 'rtcp-mux',
      rtcpRsize: 'rtcp-rsize',
      candidates,
      endOfCandidates: 'end-of-candidates',
    };
    if (plan.role === 'recv') {
      writeConsumer(section, plan.consumer);
    } else {
      // Echo the codecs werift offered (they carry the router's payload types already).
      section.rtp = m.rtp.map((r) => ({ ...r }));
      section.fmtp = m.fmtp.map((f) => ({ ...f }));
      section.rtcpFb = (m.rtcpFb ?? []).map((f) => ({ ...f }));
      section.payloads = m.rtp.map((r) => r.payload).join(' ');
      // RFC 8285 5: answer only extensions that were offered.
      section.ext = plan.role === 'send' ? (m.ext ?? []).map((e) => ({ value: e.value, uri: e.uri })) : [];
      // RFC 8866 6.7 / RFC 3264 6.1: the answer reverses the offered direction.
      section.direction = plan.role === 'send' ? 'recvonly' : 'inactive';
    }
    if (section.rtp.length === 0) throw new MeetingMediaError(`no codec to answer for m-section mid=${mid}`);
    return section;
  });

  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: { username: 'roomgate-meeting', sessionId: '1', sessionVersion: input.sessionVersion, netType: 'IN', ipVer, address },
    name: '-',
    timing: { start: 0, stop: 0 },
    icelite: 'ice-lite',
    groups: [{ type: 'BUNDLE', mids: media.map((m) => String(m.mid)).join(' ') }],
    msidSemantic: { semantic: 'WMS', token: '*' },
    media,
  };
  return sdpTransform.write(session);
}

/** A consumer's rtpParameters as a sendonly m-section (what mediasoup-client does for its recv side). */
function writeConsumer(
  section: sdpTransform.MediaDescription,
  consumer: { consumerId: string; peerId: string; rtpParameters: RtpParameters },
): void {
  const p = consumer.rtpParameters;
  for (const c of p.codecs) {
    const [, name = c.mimeType] = c.mimeType.split('/');
    section.rtp.push({ payload: c.payloadType, codec: name, rate: c.clockRate, encoding: c.channels && c.channels > 1 ? c.channels : undefined });
    const config = formatFmtp(c.parameters);
    if (config) section.fmtp.push({ payload: c.payloadType, config });
    for (const fb of c.rtcpFeedback ?? []) {
      section.rtcpFb!.push({ payload: c.payloadType, type: fb.type, subtype: fb.parameter || undefined });
    }
  }
  section.payloads = p.codecs.map((c) => c.payloadType).join(' ');
  section.ext = p.headerExtensions.map((e) => ({ value: e.id, uri: e.uri }));
  section.direction = 'sendonly';
  const ssrc = p.encodings[0]?.ssrc;
  if (ssrc === undefined) throw new MeetingMediaError(`consumer ${consumer.consumerId} has no SSRC`);
  const cname = p.rtcp?.cname ?? consumer.peerId;
  // RFC 5576 4.1 a=ssrc with cname; RFC 8830 2 msid
  section.ssrcs = [
    { id: ssrc, attribute: 'cname', value: cname },
    { id: ssrc, attribute: 'msid', value: `${consumer.peerId} ${consumer.consumerId}` },
  ];
  section.msid = [{ id: consumer.peerId, appdata: consumer.consumerId }];
}

/** werift's DTLS fingerprints, read from its local description (RFC 8122 5). */
export function localFingerprints(localSdp: string): { algorithm: string; value: string }[] {
  const parsed = sdpTransform.parse(localSdp);
  const fp = parsed.fingerprint ?? parsed.media.find((m) => m.fingerprint)?.fingerprint;
  if (!fp) throw new MeetingMediaError('werift offer has no DTLS fingerprint');
  return [{ algorithm: fp.type, value: fp.hash }];
}

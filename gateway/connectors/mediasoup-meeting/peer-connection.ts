import { RTCPeerConnection, RTCRtpHeaderExtensionParameters } from 'werift';
import type { MediaPlan } from './media-plan.ts';

/** Local ICE addresses of the leg (werift PeerConfig names). */
export interface LegIceOptions {
  additionalHostAddresses?: string[];
  interfaceAddresses?: { udp4?: string; udp6?: string };
  useIpv6?: boolean;
}

/** Loopback-only gathering, for a meeting whose candidates are all loopback. */
export const LOOPBACK_ICE: LegIceOptions = { additionalHostAddresses: ['127.0.0.1'], interfaceAddresses: { udp4: '127.0.0.1' } };

/**
 * The leg's werift RTCPeerConnection: the plan's codecs (router payload types), no STUN/TURN
 * servers (mediasoup is ICE-lite and learns our address from the checks, RFC 8445 7.3.1.3; and
 * werift's default would send to a public STUN server), one BUNDLE transport (RFC 8843).
 */
export function createLegPeerConnection(plan: MediaPlan, ice: LegIceOptions): RTCPeerConnection {
  const extensions = () => ({
    audio: plan.headerExtensions.audio.map((e) => new RTCRtpHeaderExtensionParameters({ uri: e.uri, id: e.id })),
    video: plan.headerExtensions.video.map((e) => new RTCRtpHeaderExtensionParameters({ uri: e.uri, id: e.id })),
  });
  const pc = new RTCPeerConnection({
    codecs: { audio: [plan.audio], video: plan.video ? [plan.video] : [] },
    headerExtensions: extensions(), // copies: werift renumbers the objects it is given
    iceServers: [],
    bundlePolicy: 'max-bundle',
    iceUseIpv6: ice.useIpv6 ?? false,
    iceAdditionalHostAddresses: ice.additionalHostAddresses,
    iceInterfaceAddresses: ice.interfaceAddresses,
  });
  // werift's setConfiguration renumbers header extension ids 1..n over audio then video. Put
  // the router's ids back, so one id means one URI in every bundled m-section (RFC 8843 9.1,
  // RFC 8285 6) and matches the ids mediasoup writes into consumer packets.
  pc.config.headerExtensions = extensions();
  return pc;
}

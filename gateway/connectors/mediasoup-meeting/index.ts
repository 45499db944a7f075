// gateway/connectors/mediasoup-meeting: the gateway's WebRTC leg into an embedded (mediasoup)
// meeting, reached over its signalling protocol (meeting/PROTOCOL.md). Public surface.
import { MeetingLeg, type JoinMeetingOptions } from './meeting-leg.ts';

export { MeetingLeg } from './meeting-leg.ts';
export type { JoinMeetingOptions, MeetingLegEvents, MeetingLegStats, DirectionCounts } from './meeting-leg.ts';
export {
  MeetingConnectorError,
  MeetingUnreachableError,
  MeetingTimeoutError,
  MeetingSocketClosedError,
  MeetingRejectedError,
  MeetingMediaError,
  MeetingProtocolError,
  MeetingEndedError,
  type MeetingErrorCode,
} from './errors.ts';

/**
 * Joins `roomId` as a gateway participant and resolves once media can flow (ICE + DTLS connected,
 * producers created, present participants consumed). Rejects with a MeetingConnectorError whose
 * `sipStatus` is what to answer the room: refused connection at once (503), no answer within
 * `connectTimeoutMs` (480), join refused (404), meeting ended or signalling lost during the join
 * (503), media failure (488).
 */
export function joinMeeting(opts: JoinMeetingOptions): Promise<MeetingLeg> {
  return MeetingLeg.join(opts);
}

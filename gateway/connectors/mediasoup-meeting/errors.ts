/**
 * Errors of the mediasoup-meeting connector. Each one knows the SIP status the gateway answers
 * the room with when a join fails for that reason (RFC 3261 21.4 / 21.5).
 */
export type MeetingErrorCode =
  | 'MEETING_UNREACHABLE' // TCP/WS connection refused, DNS failure, handshake failed
  | 'MEETING_TIMEOUT' // connect or request timed out
  | 'MEETING_SOCKET_CLOSED' // the signalling socket closed while a request was pending
  | 'MEETING_REJECTED' // the meeting answered a request with ok:false
  | 'MEETING_MEDIA_FAILED' // SDP bridging, ICE or DTLS failed
  | 'MEETING_PROTOCOL_ERROR' // the meeting sent something the protocol does not allow
  | 'MEETING_ENDED'; // the meeting ended the leg (room closed, socket lost) while joining

export class MeetingConnectorError extends Error {
  override readonly name: string = 'MeetingConnectorError';
  constructor(
    readonly code: MeetingErrorCode,
    message: string,
    /** SIP final status for the room when a join fails this way. */
    readonly sipStatus: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Connection refused / DNS / WS handshake refused: RFC 3261 21.5.4 503 Service Unavailable. */
export class MeetingUnreachableError extends MeetingConnectorError {
  override readonly name = 'MeetingUnreachableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MEETING_UNREACHABLE', message, 503, options);
  }
}

/** No answer in time: RFC 3261 21.4.18 480 Temporarily Unavailable. */
export class MeetingTimeoutError extends MeetingConnectorError {
  override readonly name = 'MeetingTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MEETING_TIMEOUT', message, 480, options);
  }
}

/** Pending requests are rejected with this when the socket closes (cf. mediasoup Channel). */
export class MeetingSocketClosedError extends MeetingConnectorError {
  override readonly name = 'MeetingSocketClosedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MEETING_SOCKET_CLOSED', message, 503, options);
  }
}

/** The meeting refused a request (`ok: false`); a refused join means no such meeting: 404. */
export class MeetingRejectedError extends MeetingConnectorError {
  override readonly name = 'MeetingRejectedError';
  constructor(
    readonly method: string,
    readonly serverError: string,
  ) {
    super('MEETING_REJECTED', `meeting rejected ${method}: ${serverError}`, method === 'join' ? 404 : 500);
  }
}

/** SDP bridging, ICE or DTLS failed: RFC 3261 21.4.26 488 Not Acceptable Here. */
export class MeetingMediaError extends MeetingConnectorError {
  override readonly name = 'MeetingMediaError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MEETING_MEDIA_FAILED', message, 488, options);
  }
}

/** The meeting sent a frame or value the protocol does not allow: 502 Bad Gateway. */
export class MeetingProtocolError extends MeetingConnectorError {
  override readonly name = 'MeetingProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('MEETING_PROTOCOL_ERROR', message, 502, options);
  }
}

/** The meeting ended the leg before the join completed (room closed, worker died): 503. */
export class MeetingEndedError extends MeetingConnectorError {
  override readonly name = 'MeetingEndedError';
  constructor(readonly reason: string) {
    super('MEETING_ENDED', `meeting ended the leg during join: ${reason}`, 503);
  }
}

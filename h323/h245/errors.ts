// Errors with which the H.245 session rejects what the application asked for.
export class H245Error extends Error {
  override readonly name: string = 'H245Error';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** OpenLogicalChannelReject from the peer (H.245 B.3.3), with its cause. */
export class ChannelRejectedError extends H245Error {
  override readonly name = 'ChannelRejectedError';
  constructor(readonly channel: number, readonly rejectCause: string) {
    super('channel-rejected', `logical channel ${channel} rejected: ${rejectCause}`);
  }
}

/** A procedure timer (T101, T103, T105, T106, T108) expired without the answer. */
export class H245TimeoutError extends H245Error {
  override readonly name = 'H245TimeoutError';
  constructor(readonly timer: string, what: string) {
    super('timeout', `${timer} expired: ${what}`);
  }
}

/** The session ended while the request was pending. */
export class SessionEndedError extends H245Error {
  override readonly name = 'SessionEndedError';
  constructor(reason: string) {
    super('session-ended', `H.245 session ended: ${reason}`);
  }
}

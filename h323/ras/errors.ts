// Errors of the RAS layer (H.225.0 clause 7). Each knows the H.225.0 ReleaseCompleteReason a call
// refused because of it should carry (STYLE 9).

export type RasErrorCode = 'RAS_TIMEOUT' | 'RAS_REJECT' | 'RAS_CLOSED' | 'RAS_NOT_REGISTERED' | 'RAS_NOT_UNDERSTOOD';

export class RasError extends Error {
  constructor(readonly code: RasErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** H.225.0 ReleaseCompleteReason alternative for a call that fails with this error. */
  get releaseReason(): string {
    return 'undefinedReason';
  }
}

/** No answer from the gatekeeper after every retransmission (H.225.0 7.x RAS timers). */
export class RasTimeoutError extends RasError {
  constructor(
    readonly messageType: string,
    readonly gatekeeper: string,
    readonly attempts: number,
    readonly timeoutMs: number,
  ) {
    super('RAS_TIMEOUT', `RAS ${messageType} to gatekeeper ${gatekeeper} unanswered after ${attempts} attempt(s), ${timeoutMs} ms each`);
  }

  override get releaseReason(): string {
    return 'unreachableGatekeeper';
  }
}

/** The gatekeeper answered with a …Reject (GRJ, RRJ, URJ, ARJ, BRJ, DRJ). */
export class RasRejectError extends RasError {
  constructor(
    readonly messageType: string,
    readonly gatekeeper: string,
    /** The rejectReason alternative, e.g. `duplicateAlias`, `calledPartyNotRegistered`. */
    readonly reason: string,
    /** BRJ allowedBandWidth (units of 100 bit/s), when present. */
    readonly allowedBandwidth?: number,
  ) {
    super('RAS_REJECT', `gatekeeper ${gatekeeper} rejected ${messageType}: ${reason}`);
  }

  override get releaseReason(): string {
    switch (this.reason) {
      case 'calledPartyNotRegistered': return 'calledPartyNotRegistered';
      case 'callerNotRegistered': return 'callerNotRegistered';
      case 'resourceUnavailable': case 'insufficientResources': case 'exceedsCallCapacity': return 'gatekeeperResources';
      case 'invalidPermission': case 'requestDenied': case 'securityDenial': return 'noPermission';
      case 'incompleteAddress': return 'badFormatAddress';
      case 'noRouteToDestination': case 'unallocatedNumber': return 'unreachableDestination';
      default: return 'noPermission';
    }
  }
}

/** The gatekeeper answered UnknownMessageResponse (XRS, H.225.0 7.14). */
export class RasNotUnderstoodError extends RasError {
  constructor(readonly messageType: string, readonly gatekeeper: string) {
    super('RAS_NOT_UNDERSTOOD', `gatekeeper ${gatekeeper} did not understand ${messageType} (XRS)`);
  }
}

export class RasClosedError extends RasError {
  constructor(what: string) {
    super('RAS_CLOSED', `RAS transport closed before ${what} completed`);
  }
}

export class RasNotRegisteredError extends RasError {
  constructor(what: string, gatekeeper: string) {
    super('RAS_NOT_REGISTERED', `cannot send ${what}: not registered with gatekeeper ${gatekeeper}`);
  }

  override get releaseReason(): string {
    return 'callerNotRegistered';
  }
}

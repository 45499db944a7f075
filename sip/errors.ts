/** Errors of the SIP layer. Each knows the SIP status it maps to (STYLE 9). */
export class SipError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'SipError';
    this.code = code;
    this.status = status;
  }
}

/** Malformed network input. `status` is the response to send when one can be built (400). */
export class ParseError extends SipError {
  constructor(message: string, opts?: { cause?: unknown; status?: number }) {
    super('SIP_PARSE', message, opts?.status ?? 400, opts);
    this.name = 'ParseError';
  }
}

/** A call attempt or in-dialog request that ended with a final non-2xx status (or a local timeout). */
export class SipFailure extends SipError {
  readonly reason: string;
  constructor(status: number, reason: string) {
    super('SIP_FAILURE', `${status} ${reason}`, status);
    this.name = 'SipFailure';
    this.reason = reason;
  }
}

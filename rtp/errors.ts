/** Errors of the rtp/ layer. One base with a code and an optional cause (STYLE.md 9). */
export type RtpErrorCode =
  | 'ERR_RTP_TOO_SHORT'
  | 'ERR_RTP_BAD_VERSION'
  | 'ERR_RTP_BAD_PADDING'
  | 'ERR_RTP_BAD_EXTENSION'
  | 'ERR_RTCP_TOO_SHORT'
  | 'ERR_RTCP_BAD_VERSION'
  | 'ERR_RTCP_BAD_LENGTH'
  | 'ERR_RTCP_BAD_TYPE'
  | 'ERR_RTCP_BAD_COUNT'
  | 'ERR_RTCP_BAD_PADDING'
  | 'ERR_PORTS_EXHAUSTED'
  | 'ERR_ENDPOINT_CLOSED';

export class RtpError extends Error {
  readonly code: RtpErrorCode;
  constructor(code: RtpErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'RtpError';
    this.code = code;
  }
}

/** A wire object failed validation; the packet must be dropped (and counted). */
export class RtpDecodeError extends RtpError {
  constructor(code: RtpErrorCode, message: string) {
    super(code, message);
    this.name = 'RtpDecodeError';
  }
}

export class PortsExhaustedError extends RtpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PORTS_EXHAUSTED', message, options);
    this.name = 'PortsExhaustedError';
  }
}

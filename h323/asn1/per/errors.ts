/** The one error the PER decoder throws: what went wrong and where (a component path). */
export class PerDecodeError extends Error {
  override readonly name = 'PerDecodeError';
  readonly code = 'PER_DECODE';
  constructor(
    message: string,
    readonly path: string,
    /** Bit offset in the input where the failure was detected. */
    readonly bitOffset: number,
    /** Set when a codec defect (not the input) raised something else, wrapped here so callers
     *  still see one error type; the fuzz test treats it as a failure. */
    readonly internal = false,
  ) {
    super(`${message} at ${path || '<root>'} (bit ${bitOffset})`);
  }
}

/** Thrown by the encoder when a value does not fit its schema type. */
export class PerEncodeError extends Error {
  override readonly name = 'PerEncodeError';
  readonly code = 'PER_ENCODE';
  constructor(message: string, readonly path: string) {
    super(`${message} at ${path || '<root>'}`);
  }
}

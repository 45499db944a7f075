/**
 * RFC 4733 2.3: the payload of one telephone-event RTP packet.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     event     |E|R| volume    |          duration             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const TELEPHONE_EVENT_SIZE = 4;
const OFF_EVENT = 0;
const OFF_FLAGS = 1;
const OFF_DURATION = 2;
const E_BIT = 0x80;
const VOLUME_MASK = 0x3f;

export class TelephoneEventDecodeError extends Error {
  readonly code = 'ERR_TELEPHONE_EVENT_TOO_SHORT';
  constructor(length: number) {
    super(`ERR_TELEPHONE_EVENT_TOO_SHORT: payload of ${length} bytes, need ${TELEPHONE_EVENT_SIZE}`);
    this.name = 'TelephoneEventDecodeError';
  }
}

export class TelephoneEvent {
  constructor(
    /** RFC 4733 2.3.1: event code (3.2: 0-15 are DTMF). */
    readonly event: number,
    /** RFC 4733 2.3.2: E bit, the event has ended. */
    readonly end: boolean,
    /** RFC 4733 2.3.4: power level in -dBm0, 0-63. */
    readonly volume: number,
    /** RFC 4733 2.3.5: duration so far, in timestamp units, 0-65535. */
    readonly duration: number,
  ) {}

  /**
   * Decode the first event block of a payload. RFC 4733 2.5.1.5 lets a sender pack several
   * blocks (redundant copies of earlier events, RFC 2198-style); a receiver that only wants the
   * current event reads the first one, which is what RFC 4733 2.5.2.4 asks of it.
   */
  static decode(payload: Buffer): TelephoneEvent {
    if (payload.length < TELEPHONE_EVENT_SIZE) throw new TelephoneEventDecodeError(payload.length);
    const flags = payload[OFF_FLAGS]!;
    return new TelephoneEvent(
      payload[OFF_EVENT]!,
      (flags & E_BIT) !== 0,
      flags & VOLUME_MASK,
      payload.readUInt16BE(OFF_DURATION),
    );
  }

  encodedSize(): number {
    return TELEPHONE_EVENT_SIZE;
  }

  /** Write into `out` at `offset` (R bit 0: RFC 4733 2.3.3, MUST be zero on send). */
  encodeInto(out: Buffer, offset: number): void {
    out[offset + OFF_EVENT] = this.event & 0xff;
    out[offset + OFF_FLAGS] = (this.end ? E_BIT : 0) | (this.volume & VOLUME_MASK);
    out.writeUInt16BE(Math.min(0xffff, this.duration), offset + OFF_DURATION);
  }

  encode(): Buffer {
    const b = Buffer.alloc(TELEPHONE_EVENT_SIZE);
    this.encodeInto(b, 0);
    return b;
  }
}

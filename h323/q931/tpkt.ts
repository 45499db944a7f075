/**
 * TPKT framing (RFC 1006 6, as H.225.0 uses it on TCP 1720 and for H.245 channels):
 * version 3, a reserved octet, a 16-bit length that counts the 4-octet header too.
 */
export const TPKT_VERSION = 3;
export const TPKT_HEADER_BYTES = 4;
/** Largest TPKT payload (the length field is 16 bits and includes the header). */
export const TPKT_MAX_PAYLOAD = 0xffff - TPKT_HEADER_BYTES;

export class TpktError extends Error {
  override readonly name = 'TpktError';
}

export function encodeTpkt(payload: Uint8Array): Buffer {
  if (payload.length > TPKT_MAX_PAYLOAD) throw new TpktError(`payload of ${payload.length} octets does not fit one TPKT`);
  const out = Buffer.allocUnsafe(TPKT_HEADER_BYTES + payload.length);
  out[0] = TPKT_VERSION;
  out[1] = 0;
  out.writeUInt16BE(out.length, 2);
  out.set(payload, TPKT_HEADER_BYTES);
  return out;
}

/**
 * Cuts a TCP byte stream into TPKT payloads. A bad version or a length below the header size
 * means the stream lost framing: `push` throws TpktError and the connection must be closed
 * (there is no way to resynchronise a TPKT stream).
 */
export class TpktReader {
  private buffered: Buffer = Buffer.alloc(0);
  private broken = false;

  /** Append received bytes; returns the complete payloads now available, in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.broken) throw new TpktError('stream framing already lost');
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    let at = 0;
    while (this.buffered.length - at >= TPKT_HEADER_BYTES) {
      const version = this.buffered[at]!;
      const length = this.buffered.readUInt16BE(at + 2);
      if (version !== TPKT_VERSION || length < TPKT_HEADER_BYTES) {
        this.broken = true;
        throw new TpktError(version !== TPKT_VERSION ? `TPKT version ${version}, expected 3` : `TPKT length ${length} below the header size`);
      }
      if (this.buffered.length - at < length) break;
      out.push(Buffer.from(this.buffered.subarray(at + TPKT_HEADER_BYTES, at + length)));
      at += length;
    }
    this.buffered = at === this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(at);
    return out;
  }

  /** Bytes received but not yet a complete packet. */
  get pendingBytes(): number {
    return this.buffered.length;
  }
}

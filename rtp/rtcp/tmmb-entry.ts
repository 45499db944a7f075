import { RtpDecodeError } from '../errors.ts';

/** Bytes of one TMMBR/TMMBN FCI entry (RFC 5104 4.2.1.1 / 4.2.2.1). */
export const TMMB_ENTRY_SIZE = 8;
/** RFC 5104 4.2.1.1: the mantissa field is 17 bits, the exponent 6, the overhead 9. */
const MANTISSA_BITS = 17;
const MAX_MANTISSA = (1 << MANTISSA_BITS) - 1;
const MAX_EXPONENT = 63;
const MAX_OVERHEAD = 511;

/**
 * One TMMBR or TMMBN FCI entry (RFC 5104 4.2.1.1; TMMBN 4.2.2.1 uses the same layout).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                              SSRC                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | MxTBR Exp |  MxTBR Mantissa                 |Measured Overhead|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export interface TmmbEntry {
  /** The media sender the limit is for (RFC 5104 4.2.1.2). */
  ssrc: number;
  /** Maximum total media bit rate, bit/s: mantissa · 2^exp (RFC 5104 4.2.1.1). */
  bitrateBps: number;
  /** Measured per-packet overhead, bytes (9 bits; RFC 5104 4.2.1.1). */
  overheadBytes: number;
}

export function decodeTmmbEntries(fci: Buffer, what: string): TmmbEntry[] {
  if (fci.length % TMMB_ENTRY_SIZE !== 0) {
    throw new RtpDecodeError('ERR_RTCP_BAD_LENGTH', `${what} FCI ${fci.length} bytes is not a whole number of entries`);
  }
  const entries: TmmbEntry[] = [];
  for (let o = 0; o < fci.length; o += TMMB_ENTRY_SIZE) {
    const word = fci.readUInt32BE(o + 4);
    const exp = word >>> 26;
    const mantissa = (word >>> 9) & MAX_MANTISSA;
    entries.push({ ssrc: fci.readUInt32BE(o), bitrateBps: mantissa * 2 ** exp, overheadBytes: word & MAX_OVERHEAD });
  }
  return entries;
}

/** Smallest exponent whose mantissa fits 17 bits; rates are rounded down (never over the limit). */
export function encodeTmmbEntry(out: Buffer, o: number, e: TmmbEntry): void {
  let bitrate = Math.max(0, Math.floor(e.bitrateBps));
  let exp = 0;
  while (bitrate > MAX_MANTISSA && exp < MAX_EXPONENT) {
    bitrate = Math.floor(bitrate / 2);
    exp++;
  }
  const overhead = Math.min(MAX_OVERHEAD, Math.max(0, e.overheadBytes));
  out.writeUInt32BE(e.ssrc >>> 0, o);
  out.writeUInt32BE(((exp << 26) | (Math.min(bitrate, MAX_MANTISSA) << 9) | overhead) >>> 0, o + 4);
}

/**
 * Finds keyframe requests (PLI and FIR) in a decrypted compound RTCP packet.
 *
 * Written here because werift 0.24 parses FIR without surfacing it, and its compound parser hands
 * each sub-parser the rest of the datagram (ENVIRONMENT.md). Each sub-packet is bounded to its own
 * length field before it is read; anything malformed stops the walk with a reason.
 *
 * RFC 4585 6.1, common format of feedback messages:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|   FMT   |       PT      |          length               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * :            Feedback Control Information (FCI)                 :
 *
 * PLI: PT=206 (PSFB), FMT=1, no FCI (RFC 4585 6.3.1).
 * FIR: PT=206, FMT=4, media source SSRC unused (0); FCI = n x { SSRC (32), Seq nr. (8),
 *      Reserved (24) } (RFC 5104 4.3.1.1).
 */
export interface KeyframeRequest {
  kind: 'pli' | 'fir';
  /** The SSRC whose sender should produce a keyframe. */
  mediaSsrc: number;
  /** FIR command sequence number (RFC 5104 4.3.1.1); absent for PLI. */
  firSeq?: number;
}

export interface KeyframeRequestScan {
  requests: KeyframeRequest[];
  /** Why the walk stopped early, when it did (requests found before that are kept). */
  error?: string;
}

const HEADER_BYTES = 4;
const FEEDBACK_HEADER_BYTES = 12;
const FIR_ENTRY_BYTES = 8;
const PT_PSFB = 206; // RFC 4585 6.1
const FMT_PLI = 1; // RFC 4585 6.3.1
const FMT_FIR = 4; // RFC 5104 4.3.1

export function scanKeyframeRequests(compound: Buffer): KeyframeRequestScan {
  const requests: KeyframeRequest[] = [];
  let offset = 0;
  while (offset < compound.length) {
    if (compound.length - offset < HEADER_BYTES) return { requests, error: `truncated RTCP header at byte ${offset}` };
    const first = compound[offset]!;
    if (first >> 6 !== 2) return { requests, error: `RTCP version ${first >> 6} at byte ${offset}` }; // RFC 3550 6.4.1
    const fmt = first & 0x1f;
    const pt = compound[offset + 1]!;
    // RFC 3550 6.4.1: length in 32-bit words minus one, header included
    const size = (compound.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + size > compound.length) return { requests, error: `RTCP packet PT=${pt} length ${size} overruns datagram at byte ${offset}` };
    if (pt === PT_PSFB && (fmt === FMT_PLI || fmt === FMT_FIR)) {
      const packet = compound.subarray(offset, offset + size);
      if (packet.length < FEEDBACK_HEADER_BYTES) return { requests, error: `PSFB FMT=${fmt} shorter than its fixed header` };
      if (fmt === FMT_PLI) {
        requests.push({ kind: 'pli', mediaSsrc: packet.readUInt32BE(8) });
      } else {
        const fci = packet.length - FEEDBACK_HEADER_BYTES;
        if (fci === 0 || fci % FIR_ENTRY_BYTES !== 0) return { requests, error: `FIR FCI of ${fci} bytes` };
        for (let at = FEEDBACK_HEADER_BYTES; at < packet.length; at += FIR_ENTRY_BYTES) {
          requests.push({ kind: 'fir', mediaSsrc: packet.readUInt32BE(at), firSeq: packet[at + 4]! });
        }
      }
    }
    offset += size;
  }
  return { requests };
}

import { RtpHeader, RtpPacket } from 'werift';

/**
 * Turns an RTP buffer handed to sendAudio/sendVideo into the packet werift's sender writes.
 * The buffer is checked before anything is read (werift's own parser trusts length fields).
 * The caller's marker, sequence number and timestamp are kept; its CSRCs and header extensions
 * are dropped (they mean nothing in the meeting: werift's sender writes the negotiated mid and
 * abs-send-time ids); SSRC and PT are rewritten by werift's RTCRtpSender.sendRtp.
 *
 * RFC 3550 5.1:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 */
const FIXED_HEADER_BYTES = 12;

export type OutboundRtpResult = { ok: true; packet: RtpPacket } | { ok: false; error: string };

export function toOutboundPacket(buf: Buffer): OutboundRtpResult {
  if (buf.length < FIXED_HEADER_BYTES) return { ok: false, error: `RTP shorter than 12 bytes (${buf.length})` };
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return { ok: false, error: `RTP version ${b0 >> 6}` };
  const hasPadding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let payloadStart = FIXED_HEADER_BYTES + 4 * csrcCount;
  if (payloadStart > buf.length) return { ok: false, error: `RTP CSRC list (${csrcCount}) overruns packet` };
  if (hasExtension) {
    // RFC 3550 5.3.1: 16-bit profile, 16-bit length in 32-bit words
    if (payloadStart + 4 > buf.length) return { ok: false, error: 'RTP extension header overruns packet' };
    payloadStart += 4 + 4 * buf.readUInt16BE(payloadStart + 2);
    if (payloadStart > buf.length) return { ok: false, error: 'RTP extension overruns packet' };
  }
  let payloadEnd = buf.length;
  if (hasPadding) {
    // RFC 3550 5.1: the last octet counts the padding octets, itself included
    const pad = buf[buf.length - 1]!;
    if (pad === 0 || payloadEnd - pad < payloadStart) return { ok: false, error: `RTP padding ${pad} invalid` };
    payloadEnd -= pad;
  }
  if (payloadEnd === payloadStart) return { ok: false, error: 'RTP without payload' };
  const header = new RtpHeader({
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
  });
  return { ok: true, packet: new RtpPacket(header, buf.subarray(payloadStart, payloadEnd)) };
}

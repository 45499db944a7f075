/**
 * Does this H.264 RTP payload (RFC 6184) start a picture a decoder can begin with?
 * True for an IDR slice (NAL type 5) or a sequence parameter set (type 7, which encoders send
 * right before an IDR), whether sent as a single NAL unit (RFC 6184 5.6), inside a STAP-A
 * aggregation (5.7.1) or as the first fragment of an FU-A (5.8, S bit set).
 */
const NAL_IDR = 5;
const NAL_SPS = 7;
const STAP_A = 24;
const FU_A = 28;

function startsPicture(nalType: number): boolean {
  return nalType === NAL_IDR || nalType === NAL_SPS;
}

export function isH264KeyframeStart(payload: Uint8Array): boolean {
  if (payload.length < 1) return false;
  const type = payload[0]! & 0x1f; // RFC 6184 5.3: F(1) NRI(2) Type(5)
  if (type === FU_A) {
    if (payload.length < 2) return false;
    const fuHeader = payload[1]!; // RFC 6184 5.8: S(1) E(1) R(1) Type(5)
    return (fuHeader & 0x80) !== 0 && startsPicture(fuHeader & 0x1f);
  }
  if (type === STAP_A) {
    // RFC 6184 5.7.1: [STAP-A NAL header] then (16-bit size, NAL unit)*
    let at = 1;
    while (at + 2 < payload.length) {
      const size = (payload[at]! << 8) | payload[at + 1]!;
      if (size === 0 || at + 2 + size > payload.length) return false;
      if (startsPicture(payload[at + 2]! & 0x1f)) return true;
      at += 2 + size;
    }
    return false;
  }
  return startsPicture(type);
}

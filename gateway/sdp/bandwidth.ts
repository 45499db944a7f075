import type sdpTransform from 'sdp-transform';

type Bandwidth = { type: string; limit: number | string };

/**
 * The most the room wants to receive on one media stream, bit/s, from its SDP `b=` lines, or
 * undefined when it states none. In offer/answer a `b=` line gives the bandwidth its writer
 * wants to receive (RFC 3264 5, 6.1).
 *
 * - Media level first (RFC 4566 5.8: media-level bandwidth is for that stream): `b=TIAS` is bit/s
 *   without IP/UDP overhead (RFC 3890 6.2) and is preferred over `b=AS` (kbit/s, RFC 4566 5.8)
 *   when both are present (RFC 3890 6.4 keeps AS for compatibility).
 * - Otherwise the session level bounds every stream: the smallest of session `b=TIAS`, `b=AS`
 *   and `b=CT` (RFC 4566 5.8 conference total). The whole session cannot exceed it, so video
 *   cannot either; the audio share is not subtracted (it is small against video and unknown).
 * Unknown bandwidth types (RFC 4566 5.8 `X-`) and malformed values are ignored.
 */
export function receiveBitrateLimit(session: sdpTransform.SessionDescription, section: sdpTransform.MediaDescription): number | undefined {
  const media = section.bandwidth as Bandwidth[] | undefined;
  const mediaTias = valueOf(media, 'TIAS', 1);
  if (mediaTias !== undefined) return mediaTias;
  const mediaAs = valueOf(media, 'AS', 1000);
  if (mediaAs !== undefined) return mediaAs;
  const top = session.bandwidth as Bandwidth[] | undefined;
  const bounds = [valueOf(top, 'TIAS', 1), valueOf(top, 'AS', 1000), valueOf(top, 'CT', 1000)].filter((x): x is number => x !== undefined);
  return bounds.length > 0 ? Math.min(...bounds) : undefined;
}

function valueOf(lines: Bandwidth[] | undefined, type: string, scale: number): number | undefined {
  const line = lines?.find((b) => b.type.toUpperCase() === type);
  if (!line) return undefined;
  const n = typeof line.limit === 'number' ? line.limit : Number(line.limit);
  // RFC 4566 5.8 / RFC 3890 6.2: a non-negative integer; 0 would mean "send nothing": not a limit we follow
  if (!Number.isSafeInteger(n) || n <= 0) return undefined;
  return n * scale;
}

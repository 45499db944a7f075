/** Media direction attributes for hold and resume (RFC 3264 5.1, 8.4; RFC 6337 5.3). */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const DIRECTION_LINE = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/;

/**
 * Rewrites every media section's direction to `dir` (session-level direction lines are removed,
 * since a media-level one overrides them). The o= version is bumped (RFC 3264 8).
 */
export function withDirection(sdp: string, dir: Direction): string {
  if (directionOf(sdp) === dir && hasExplicitDirection(sdp)) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  let inMedia = false;
  for (const line of sdp.split(/\r?\n/)) {
    if (DIRECTION_LINE.test(line)) continue;
    if (line.startsWith('o=')) { out.push(bumpVersion(line)); continue; }
    if (line.startsWith('m=')) {
      if (inMedia) insertBeforeTrailing(out, `a=${dir}`);
      inMedia = true;
    }
    out.push(line);
  }
  if (inMedia) insertBeforeTrailing(out, `a=${dir}`);
  return out.join(eol);
}

/** The direction of the first media section (RFC 3264 5.1: sendrecv when absent). */
export function directionOf(sdp: string): Direction {
  let session: Direction = 'sendrecv';
  let inMedia = false;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      if (inMedia) break;
      inMedia = true;
      continue;
    }
    const m = DIRECTION_LINE.exec(line);
    if (m && inMedia) return m[1] as Direction;
    if (m) session = m[1] as Direction;
  }
  return session;
}

/** RFC 3264 6.1: the answering direction to an offered one. */
export function answerDirection(offered: Direction): Direction {
  switch (offered) {
    case 'sendonly': return 'recvonly';
    case 'recvonly': return 'sendonly';
    default: return offered;
  }
}

function hasExplicitDirection(sdp: string): boolean {
  return sdp.split(/\r?\n/).some((l) => DIRECTION_LINE.test(l));
}

function insertBeforeTrailing(out: string[], line: string): void {
  let at = out.length;
  while (at > 0 && out[at - 1] === '') at--;
  out.splice(at, 0, line);
}

function bumpVersion(line: string): string {
  const parts = line.split(' ');
  if (parts.length < 6 || !/^\d+$/.test(parts[2])) return line;
  parts[2] = (BigInt(parts[2]) + 1n).toString();
  return parts.join(' ');
}

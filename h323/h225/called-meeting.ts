// Which meeting an incoming H.323 call asks for (roomgate addressing, issue #5): the first usable
// of the Setup-UUIE destinationAddress dialledDigits, h323-ID, url-ID (H.225.0 7.2.2.x
// AliasAddress), then the Q.931 called party number. Terminals that dial a gateway directly
// write `IP##meeting` (or `##meeting`); URL aliases may read `h323:meeting@host`.
import type { Alias } from '../asn1/index.ts';

export interface CalledMeetingInput {
  destinationAliases: Alias[];
  calledNumber?: string;
}

/** The meeting number, or undefined when the Setup names none. */
export function calledMeeting(input: CalledMeetingInput): string | undefined {
  const pick = (kind: 'dialledDigits' | 'h323Id' | 'url'): string | undefined => {
    for (const a of input.destinationAliases) {
      if (!(kind in a)) continue;
      const m = meetingFromAlias((a as Record<string, string>)[kind]!);
      if (m) return m;
    }
    return undefined;
  };
  return pick('dialledDigits') ?? pick('h323Id') ?? pick('url') ?? meetingFromAlias(input.calledNumber ?? '');
}

/**
 * `192.0.2.5##123`, `##123`, `h323:123@gw`, `h323:192.0.2.5##123`, `123` → `123`.
 * Returns undefined for an empty result.
 */
export function meetingFromAlias(alias: string): string | undefined {
  let s = alias.trim();
  const scheme = /^h323:(\/\/)?/i.exec(s);
  if (scheme) {
    s = s.slice(scheme[0].length);
    s = s.split(/[;?]/, 1)[0]!; // URL parameters (H.323 Annex O)
    const hashes = s.lastIndexOf('##');
    if (hashes < 0 && s.includes('@')) s = s.slice(0, s.indexOf('@')); // user@host: the user part
  }
  const hashes = s.lastIndexOf('##');
  if (hashes >= 0) s = s.slice(hashes + 2);
  s = s.trim();
  return s === '' ? undefined : s;
}

/** Parsing the Contact and Expires of a REGISTER (RFC 3261 10.2.1, 10.2.2, 10.3 steps 6-7, 20.10). */
import { parseNameAddr, parseUnsigned } from '../grammar.ts';
import type { SipRequest } from '../message.ts';

export interface RequestedContact {
  uri: string;
  /** Seconds requested (from the contact's expires param, else Expires, else the default). */
  expires: number;
  q?: number;
}

export type ContactRequest =
  | { kind: 'fetch' }                       // no Contact: query the bindings (RFC 3261 10.2.3)
  | { kind: 'remove-all' }                  // Contact: * with Expires: 0 (RFC 3261 10.2.2)
  | { kind: 'update'; contacts: RequestedContact[] }
  | { kind: 'invalid'; reason: string };

/** Expires values beyond 2^32-1 are clamped (RFC 3261 20.19); a bad value is invalid. */
function seconds(text: string | null | undefined): number | undefined | null {
  if (text === undefined || text === null) return undefined;
  const n = parseUnsigned(text.trim());
  if (n === undefined) return null;
  return Math.min(n, 0xffffffff);
}

export function readContacts(req: SipRequest, defaultExpires: number): ContactRequest {
  const values = req.headers.getAll('contact');
  const headerExpires = seconds(req.headers.get('expires'));
  if (headerExpires === null) return { kind: 'invalid', reason: 'bad Expires header' };
  if (values.length === 0) return { kind: 'fetch' };
  if (values.some((v) => v.trim() === '*')) {
    // RFC 3261 10.3 step 6: "*" only alone and only with Expires: 0.
    if (values.length !== 1 || headerExpires !== 0) return { kind: 'invalid', reason: 'Contact "*" needs Expires: 0 and no other Contact' };
    return { kind: 'remove-all' };
  }
  const contacts: RequestedContact[] = [];
  for (const v of values) {
    let na;
    try {
      na = parseNameAddr(v);
    } catch {
      return { kind: 'invalid', reason: 'malformed Contact' };
    }
    const own = seconds(na.params.get('expires'));
    if (own === null) return { kind: 'invalid', reason: 'bad Contact expires parameter' };
    const qText = na.params.get('q');
    const q = qText === undefined || qText === null ? undefined : Number(qText);
    if (q !== undefined && !(q >= 0 && q <= 1)) return { kind: 'invalid', reason: 'bad Contact q parameter' };
    // RFC 3261 10.3 step 7: contact param, else Expires header, else the registrar's default.
    contacts.push({ uri: na.uri, expires: own ?? headerExpires ?? defaultExpires, q });
  }
  return { kind: 'update', contacts };
}

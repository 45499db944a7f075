/** Address-of-record and Contact canonical forms (RFC 3261 10.3 step 5, 19.1.4). */
import { parseSipUri } from '../grammar.ts';

/**
 * 'sip:Alice@GW.example:5060;transport=udp' → 'sip:Alice@gw.example' (user case kept, host
 * lower-cased, port/params/headers dropped); undefined when not a SIP(S) URI with a user.
 */
export function canonicalAor(uri: string): string | undefined {
  try {
    const u = parseSipUri(uri.trim());
    if (u.user === undefined || u.user === '') return undefined;
    const user = u.user.split(';')[0];
    return `${u.scheme}:${user}@${u.host.toLowerCase()}`;
  } catch {
    return undefined;
  }
}

/** Contact URIs compared per RFC 3261 19.1.4, simplified: scheme/host case-insensitive, rest exact. */
export function contactKey(uri: string): string {
  try {
    const u = parseSipUri(uri.trim());
    const params = [...u.params].map(([k, v]) => (v === null ? k : `${k}=${v}`)).sort().join(';');
    return `${u.scheme}:${u.user ?? ''}@${u.host.toLowerCase()}:${u.port ?? ''};${params}`;
  } catch {
    return uri.trim();
  }
}

/** The UAC side of digest authentication (RFC 3261 22.2, 22.3; RFC 7616 3.4; RFC 8760 2.4). */
import { randomBytes } from 'node:crypto';
import type { SipRequest, SipResponse } from '../message.ts';
import { computeResponse, toAlgorithm } from './digest.ts';
import type { AuthHeader } from './authenticator.ts';
import { formatDigestHeader, parseDigestHeader } from './params.ts';

export interface DigestCredentials {
  username: string;
  password: string;
}

/** Credentials for a realm, or undefined when we have none (the request then fails with the 401/407). */
export type CredentialProvider = (realm: string, request: SipRequest) => DigestCredentials | undefined;

export interface AuthorizeOptions {
  /** Nonce count to send (RFC 7616 3.4: 8 hex digits). Default 1. */
  nc?: number;
  /** Client nonce; default 16 random bytes, base64url. Tests pass the RFC's. */
  cnonce?: string;
  /** Entity body, used when only qop=auth-int is offered. */
  body?: Buffer;
}

/**
 * Builds the Authorization / Proxy-Authorization value answering one challenge header value.
 * Throws on a challenge that is not Digest or names an unsupported algorithm.
 */
export function authorize(challengeHeader: string, creds: DigestCredentials, method: string, uri: string,
  bodyOrOpts: Buffer | AuthorizeOptions = {}): string {
  const opts: AuthorizeOptions = Buffer.isBuffer(bodyOrOpts) ? { body: bodyOrOpts } : bodyOrOpts;
  const ch = parseDigestHeader(challengeHeader);
  if (!ch || ch.scheme.toLowerCase() !== 'digest') throw new Error('not a Digest challenge');
  const p = ch.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) throw new Error('challenge without realm or nonce');
  const algorithm = toAlgorithm(p.get('algorithm'));
  if (!algorithm) throw new Error(`unsupported digest algorithm ${p.get('algorithm')}`);
  const offered = (p.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== '');
  // RFC 7616 3.4: pick a qop the server offered; auth preferred, auth-int only if it is all there is.
  const qop = offered.includes('auth') ? 'auth' : offered.includes('auth-int') ? 'auth-int' : undefined;
  if (offered.length > 0 && qop === undefined) throw new Error(`unsupported qop ${p.get('qop')}`);
  const nc = (opts.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = opts.cnonce ?? randomBytes(16).toString('base64url');
  const response = computeResponse({ algorithm, username: creds.username, realm, password: creds.password,
    method, uri, nonce, qop, nc, cnonce, body: opts.body });
  const entries: [string, string, boolean][] = [
    ['username', creds.username, true], ['realm', realm, true], ['nonce', nonce, true], ['uri', uri, true],
    ['response', response, true], ['algorithm', algorithm, false],
  ];
  if (qop) entries.push(['qop', qop, false], ['nc', nc, false], ['cnonce', cnonce, true]);
  const opaque = p.get('opaque');
  if (opaque !== undefined) entries.push(['opaque', opaque, true]); // RFC 7616 3.4: returned unchanged
  return formatDigestHeader(entries);
}

/**
 * Answers the challenges of a 401/407 for a request about to be re-sent (RFC 3261 22.2, 22.3).
 * Keeps nonce counts, so a nonce reused for a refresh gets nc=2, 3... (RFC 7616 3.4).
 */
export class DigestClient {
  private readonly counts = new Map<string, number>();

  constructor(private readonly credentials: CredentialProvider) {}

  /**
   * Authorization headers answering `res` for `req`, or undefined when no challenge can be
   * answered (unknown realm, unsupported algorithm, or the server refused these credentials with
   * a fresh, non-stale challenge for a nonce we already answered).
   */
  respond(res: SipResponse, req: SipRequest): AuthHeader[] | undefined {
    const proxy = res.status === 407;
    const challengeName = proxy ? 'proxy-authenticate' : 'www-authenticate';
    const name = proxy ? 'Proxy-Authorization' : 'Authorization';
    const answered = new Set<string>();
    const out: AuthHeader[] = [];
    // RFC 8760 2.4: several challenges per realm, most preferred first; answer the first we support.
    for (const value of res.headers.getAll(challengeName)) {
      const ch = parseDigestHeader(value);
      if (!ch || ch.scheme.toLowerCase() !== 'digest') continue;
      const realm = ch.params.get('realm');
      const nonce = ch.params.get('nonce');
      if (realm === undefined || nonce === undefined || answered.has(realm)) continue;
      if (!toAlgorithm(ch.params.get('algorithm'))) continue;
      const creds = this.credentials(realm, req);
      if (!creds) continue;
      const nc = (this.counts.get(nonce) ?? 0) + 1;
      try {
        out.push({ name, value: authorize(value, creds, req.method, req.uri, { nc, body: req.body }) });
      } catch {
        continue; // e.g. qop we cannot do: try the next challenge
      }
      this.counts.set(nonce, nc);
      answered.add(realm);
    }
    if (this.counts.size > 64) this.counts.clear(); // bounded; only recent nonces matter
    return out.length > 0 ? out : undefined;
  }
}

/** RFC 3261 22.2: a request re-sent with credentials replaces any it carried before. */
export function applyAuthHeaders(req: SipRequest, headers: AuthHeader[]): void {
  req.headers.remove('authorization');
  req.headers.remove('proxy-authorization');
  for (const h of headers) req.headers.append(h.name, h.value);
}

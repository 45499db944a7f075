/**
 * The UAS / registrar side of digest authentication (RFC 3261 22.1, 22.4; RFC 7616; RFC 8760).
 * Stateless: nonces carry their own issue time and MAC (nonce.ts), so nothing is stored per client.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { SipRequest } from '../message.ts';
import { computeResponse, safeEqualHex, toAlgorithm, type DigestAlgorithm } from './digest.ts';
import { NonceIssuer } from './nonce.ts';
import { formatDigestHeader, parseDigestHeader, type DigestParams } from './params.ts';

export interface AuthHeader {
  name: string;
  value: string;
}

export interface DigestAuthenticatorOptions {
  /** Protection space advertised in challenges (RFC 3261 22.1: e.g. the gateway's domain). Required. */
  realm: string;
  /** The password of `user` in `realm`, or undefined when the user is unknown. Required. */
  lookupPassword(user: string, realm: string): string | undefined;
  /**
   * Algorithms offered, most preferred first; one challenge header each (RFC 8760 2.4). Default
   * ['SHA-256', 'MD5']. Interop: baresip 1.0 (libre) fails registration outright when any
   * challenge in the 401 is SHA-256, and SIPp 3.6 answers MD5 only: realms serving such
   * terminals should offer ['MD5'] alone (test/sip/registrar-baresip.test.ts).
   */
  algorithms?: DigestAlgorithm[];
  /** How long a nonce is accepted, in ms; an older one gets `stale=true` (RFC 7616 3.3). Default 300000. */
  nonceTtlMs?: number;
  /** HMAC key for nonces; give the same secret to every node behind one address. Default random per process. */
  secret?: string | Buffer;
  /** true: 407 with Proxy-Authenticate / Proxy-Authorization (RFC 3261 22.3). Default false (401, WWW-Authenticate). */
  proxy?: boolean;
  /**
   * Refuse credentials whose digest-uri is not the Request-URI (RFC 2617 3.2.2.5 SHOULD). Default
   * true. SIPp 3.6's [authentication] signs `sip:host:port` for every request, so an INVITE to
   * sip:user@host:port only passes with false (the digest still binds whatever uri was signed).
   */
  checkDigestUri?: boolean;
  /** Time source (ms). Default Date.now. */
  now?: () => number;
}

export type VerifyResult =
  | { ok: true; user: string; algorithm: DigestAlgorithm }
  | { ok: false; stale: boolean; reason: string; user?: string };

/** What a request authorizer tells the stack: go on, or answer with this status and headers. */
export type AuthDecision =
  | { allow: true; user?: string }
  | { allow: false; status: number; reason?: string; headers: AuthHeader[]; why: string };

export class DigestAuthenticator {
  readonly realm: string;
  /** 401 or 407 (RFC 3261 22.2, 22.3). */
  readonly status: 401 | 407;
  private readonly algorithms: DigestAlgorithm[];
  private readonly nonces: NonceIssuer;
  /** Derived from the secret, so every node sharing the secret issues the same opaque. */
  private readonly opaque: string;
  private readonly challengeName: string;
  private readonly credentialsName: string;

  constructor(private readonly opts: DigestAuthenticatorOptions) {
    this.realm = opts.realm;
    this.status = opts.proxy ? 407 : 401;
    this.algorithms = opts.algorithms && opts.algorithms.length > 0 ? [...opts.algorithms] : ['SHA-256', 'MD5'];
    const secret = typeof opts.secret === 'string' ? Buffer.from(opts.secret, 'utf8') : opts.secret ?? randomBytes(32);
    this.opaque = createHmac('sha256', secret).update(`opaque:${opts.realm}`).digest().subarray(0, 12).toString('base64url');
    this.nonces = new NonceIssuer(secret, opts.realm, opts.nonceTtlMs ?? 300_000, opts.now ?? Date.now);
    this.challengeName = opts.proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    this.credentialsName = opts.proxy ? 'Proxy-Authorization' : 'Authorization';
  }

  /** Challenge headers, one per offered algorithm, most preferred first (RFC 8760 2.4, RFC 7616 3.7). */
  challenge(_req?: SipRequest, opts: { stale?: boolean } = {}): AuthHeader[] {
    const nonce = this.nonces.issue();
    return this.algorithms.map((alg) => {
      const entries: [string, string, boolean][] = [
        ['realm', this.realm, true], ['nonce', nonce, true], ['opaque', this.opaque, true],
        ['algorithm', alg, false], ['qop', 'auth', true],
      ];
      if (opts.stale) entries.push(['stale', 'true', false]); // RFC 7616 3.3
      return { name: this.challengeName, value: formatDigestHeader(entries) };
    });
  }

  /** Checks the request's credentials for our realm (RFC 3261 22.4, RFC 7616 3.4). */
  verify(req: SipRequest): VerifyResult {
    const creds = this.findCredentials(req);
    if (!creds) return { ok: false, stale: false, reason: 'no credentials for realm' };
    const p = creds.params;
    const user = p.get('username');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    if (user === undefined || nonce === undefined || uri === undefined || response === undefined) {
      return { ok: false, stale: false, reason: 'credentials miss username/nonce/uri/response' };
    }
    if (p.get('userhash') === 'true') return { ok: false, stale: false, reason: 'userhash not supported', user };
    const algorithm = toAlgorithm(p.get('algorithm'));
    if (!algorithm || !this.algorithms.includes(algorithm)) return { ok: false, stale: false, reason: 'algorithm not offered', user };
    // DEVIATION(RFC 2617 3.2.2.5) when checkDigestUri is false: see the option.
    if (this.opts.checkDigestUri !== false && !sameUri(uri, req.uri)) return { ok: false, stale: false, reason: 'digest uri differs from Request-URI', user };
    const nonceState = this.nonces.check(nonce);
    if (!nonceState.valid) return { ok: false, stale: false, reason: 'nonce not issued by us', user };
    const opaque = p.get('opaque');
    // DEVIATION(RFC 7616 3.4): a missing opaque is tolerated (older terminals drop it); the
    // nonce's MAC already proves it came from us. A wrong one is refused.
    if (opaque !== undefined && opaque !== this.opaque) return { ok: false, stale: false, reason: 'opaque mismatch', user };
    const qop = p.get('qop');
    if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return { ok: false, stale: false, reason: 'unsupported qop', user };
    // DEVIATION(RFC 7616 3.4): credentials without qop (RFC 2069 form) are still accepted, as old
    // room terminals send them; without nc checking (below) qop adds no replay protection here.
    if (qop !== undefined && (p.get('nc') === undefined || p.get('cnonce') === undefined)) {
      return { ok: false, stale: false, reason: 'qop without nc/cnonce', user };
    }
    const password = this.opts.lookupPassword(user, this.realm);
    if (password === undefined) return { ok: false, stale: false, reason: 'unknown user', user };
    // DEVIATION(RFC 7616 3.4): without per-nonce state the nonce count is not checked for
    // replays; the nonce lifetime bounds the replay window instead.
    const expected = computeResponse({ algorithm, username: user, realm: this.realm, password, method: req.method,
      uri, nonce, qop, nc: p.get('nc'), cnonce: p.get('cnonce'), body: req.body });
    if (!safeEqualHex(expected, response)) return { ok: false, stale: false, reason: 'wrong response digest', user };
    // RFC 7616 3.3 stale: the digest is right, only the nonce is too old.
    if (nonceState.expired) return { ok: false, stale: true, reason: 'nonce expired', user };
    return { ok: true, user, algorithm };
  }

  /** verify() and, on failure, the challenge to send: the one-call form a request authorizer needs. */
  authorize(req: SipRequest): AuthDecision {
    const r = this.verify(req);
    if (r.ok) return { allow: true, user: r.user };
    return { allow: false, status: this.status, headers: this.challenge(req, { stale: r.stale }), why: r.reason };
  }

  /** RFC 3261 22.4: several credentials may be present; ours are the Digest ones for our realm. */
  private findCredentials(req: SipRequest): DigestParams | undefined {
    for (const value of req.headers.getAll(this.credentialsName)) {
      const parsed = parseDigestHeader(value);
      if (parsed && parsed.scheme.toLowerCase() === 'digest' && parsed.params.get('realm') === this.realm) return parsed;
    }
    return undefined;
  }
}

/** RFC 3261 22.4 / RFC 2617 3.2.2.5: the digest-uri must name the Request-URI. */
function sameUri(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

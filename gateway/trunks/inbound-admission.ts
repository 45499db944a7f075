import { randomBytes } from 'node:crypto';
import { DigestAuthenticator, parseDigestHeader, type RequestAuthorizer, type SipRequest, type Source } from '../../sip/index.ts';
import type { Logger } from '../logger.ts';
import type { TrunkSet, TrunkState } from './trunk-set.ts';

type Decision = ReturnType<RequestAuthorizer>;

/**
 * Who may start a call (issue #3 security), as the SIP stack's request authorizer:
 *  1. a source inside a trunk's `inbound.sources` belongs to that trunk; if the trunk lists
 *     `inbound.users`, the request must also carry valid digest credentials in its realm;
 *  2. otherwise a request with credentials for an auth-only trunk (realm + users, no sources)
 *     belongs to it once verified (RFC 3261 22.4);
 *  3. otherwise, when any source allow-list exists, the source must be in `sip.allowedSources`;
 *     if not, auth-only trunks challenge (401) and, without any, the answer is 403 (21.4.4).
 * The trunk each admitted request belongs to is remembered for the call (`trunkOf`).
 */
export class InboundAdmission {
  private authenticators = new Map<string, DigestAuthenticator>();
  private readonly admitted = new WeakMap<SipRequest, TrunkState>();
  /** A scanner's flood of refused requests gives one log line per source per interval. */
  private readonly refusalLog = new PerSourceLogThrottle(10_000);
  /** One nonce key for every authenticator, so reloads keep outstanding challenges valid. */
  private readonly secret = randomBytes(32);

  constructor(
    private readonly trunks: TrunkSet,
    private readonly logger: Logger,
  ) {
    this.reconfigure();
  }

  /** Rebuilds the authenticators from the trunk set's current config (after a reload). */
  reconfigure(): void {
    this.authenticators = new Map();
    for (const trunk of this.trunks.all()) {
      const inbound = trunk.config.inbound;
      if (!inbound || inbound.users.length === 0) continue;
      const realm = inbound.realm ?? 'roomgate';
      const passwords = new Map(inbound.users.map((u) => [u.username, u.password]));
      this.authenticators.set(trunk.config.name, new DigestAuthenticator({
        realm,
        secret: this.secret,
        algorithms: [...inbound.algorithms],
        lookupPassword: (user) => passwords.get(user),
      }));
    }
  }

  /** The trunk `req` was admitted through, if any. */
  trunkOf(req: SipRequest): TrunkState | undefined {
    return this.admitted.get(req);
  }

  readonly authorize: RequestAuthorizer = (req, src) => this.decide(req, src);

  private decide(req: SipRequest, src: Source): Decision {
    const admission = this.trunks.admissionFor(src.address);
    if (admission.allowed && admission.trunk) return this.throughTrunk(req, admission.trunk);
    const authOnly = this.trunks.all().filter((t) => this.authenticators.has(t.config.name) && !t.config.inbound?.sources.length);
    const claimed = authOnly.find((t) => hasCredentialsFor(req, this.authenticators.get(t.config.name)!.realm));
    if (claimed) return this.throughTrunk(req, claimed);
    if (admission.allowed) return { allow: true };
    if (authOnly.length > 0) return this.throughTrunk(req, authOnly[0]!);
    const suppressed = this.refusalLog.admit(src.address);
    if (suppressed !== undefined) {
      this.logger.warn('request from a source outside the allow-lists refused', {
        callId: req.callId, method: req.method, source: `${src.transport}:${src.address}:${src.port}`, reason: admission.reason,
        ...(suppressed > 0 ? { suppressedSinceLastLine: suppressed } : {}),
      });
    }
    return { allow: false, status: 403, reason: 'Forbidden', why: admission.reason };
  }

  /** RFC 3261 22.1: a trunk with users challenges until the request carries valid credentials. */
  private throughTrunk(req: SipRequest, trunk: TrunkState): Decision {
    const authenticator = this.authenticators.get(trunk.config.name);
    if (authenticator) {
      const decision = authenticator.authorize(req);
      if (!decision.allow) {
        if (hasCredentialsFor(req, authenticator.realm)) {
          this.logger.warn('digest authentication failed', { callId: req.callId, trunk: trunk.config.name, why: decision.why });
        }
        return decision;
      }
    }
    this.admitted.set(req, trunk);
    return { allow: true };
  }
}

/** True when a Digest Authorization header names `realm` (RFC 3261 22.4 picks credentials by realm). */
function hasCredentialsFor(req: SipRequest, realm: string): boolean {
  return req.headers.getAll('authorization').some((h) => {
    const parsed = parseDigestHeader(h);
    return parsed?.scheme.toLowerCase() === 'digest' && parsed.params.get('realm') === realm;
  });
}

/** At most one log line per source address per `intervalMs`; counts what it held back. */
class PerSourceLogThrottle {
  private readonly sources = new Map<string, { lastAt: number; suppressed: number }>();
  private static readonly MAX_SOURCES = 10_000;

  constructor(private readonly intervalMs: number) {}

  /** The number of lines held back since the last one when a line may be written now, else undefined. */
  admit(address: string, now = Date.now()): number | undefined {
    const entry = this.sources.get(address);
    if (entry && now - entry.lastAt < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    if (!entry && this.sources.size >= PerSourceLogThrottle.MAX_SOURCES) this.sources.clear();
    this.sources.set(address, { lastAt: now, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }
}

import type { RegistrarConfig } from '../config/index.ts';
import { canonicalAor, DigestAuthenticator, Registrar, type Binding, type Clock, type SipStack } from '../sip/index.ts';
import type { Logger } from './logger.ts';

/** A registration as GET /api/registrations shows it. */
export interface RegistrationSummary {
  aor: string;
  contact: string;
  /** The digest user the REGISTER authenticated as. */
  user?: string;
  /** Where the REGISTER came from. */
  source: { transport: string; address: string; port: number };
  /** Seconds until the binding expires (on the registrar's clock). */
  expiresInS: number;
}

/** Where a dial-out to a registered terminal goes (RFC 3261 16.5: the binding's Contact). */
export type RegisteredTarget =
  | { kind: 'not-ours' }
  | { kind: 'registered'; user: string; aor: string; contact: string }
  | { kind: 'refused'; status: 404 | 480; reason: string };

/**
 * The gateway's registrar role (RFC 3261 10.3): owns the Registrar attached to the SIP stack while
 * `registrar.enabled`, rebuilds its digest authenticator on reload (bindings kept), and resolves
 * dial-out requests that name a registered terminal.
 */
export class RegistrarService {
  private registrar?: Registrar;
  private config: RegistrarConfig;

  constructor(
    config: RegistrarConfig,
    private readonly sip: SipStack,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.config = config;
    this.apply(config);
  }

  get enabled(): boolean {
    return this.registrar !== undefined;
  }

  /** Applies a (re)loaded `registrar:` section; bindings survive unless the registrar is disabled. */
  apply(config: RegistrarConfig): void {
    this.config = config;
    if (!config.enabled) {
      if (this.registrar) this.logger.info('registrar disabled; bindings dropped', { aors: this.registrar.aors().length });
      this.sip.setRegistrar(undefined);
      this.registrar?.close();
      this.registrar = undefined;
      return;
    }
    const options = {
      authenticator: this.authenticator(config),
      domains: config.domains,
      minExpiresS: config.minExpiresS,
      maxExpiresS: config.maxExpiresS,
    };
    if (this.registrar) {
      this.registrar.reconfigure(options);
      return;
    }
    this.registrar = new Registrar({ ...options, clock: this.clock, logger: this.logger });
    this.registrar.on('changed', (aor, bindings) => this.logger.info('registration changed', { aor, contacts: bindings.map((b) => b.contact) }));
    this.sip.setRegistrar(this.registrar);
  }

  /** RFC 3261 10.3 step 3: every REGISTER is authenticated; unknown users are refused (401). */
  private authenticator(config: RegistrarConfig): DigestAuthenticator {
    const passwords = new Map(config.users.map((u) => [u.username, u.password]));
    return new DigestAuthenticator({ realm: config.realm, algorithms: config.algorithms, lookupPassword: (user) => passwords.get(user) });
  }

  bindings(): RegistrationSummary[] {
    const registrar = this.registrar;
    if (!registrar) return [];
    const now = this.clock.now();
    return registrar.aors().flatMap((aor) => registrar.lookup(aor)).map((b: Binding) => ({
      aor: b.aor,
      contact: b.contact,
      ...(b.user !== undefined ? { user: b.user } : {}),
      source: { transport: b.source.transport, address: b.source.address, port: b.source.port },
      expiresInS: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
    }));
  }

  /**
   * Does `to` name a terminal of our registrar? A bare name that is a configured user, or a SIP
   * URI whose host is one of our domains (or the gateway's own host), is ours; its best binding
   * is the target. Anything else is `not-ours` and goes to the trunk dial plan: the registrar
   * never makes the gateway a relay toward arbitrary addresses.
   */
  resolve(to: string, gatewayHosts: string[]): RegisteredTarget {
    const registrar = this.registrar;
    if (!registrar) return { kind: 'not-ours' };
    const isUri = /^sips?:/i.test(to);
    let user: string;
    let key: string; // what Registrar.lookup is asked: the AOR at one of our domains, else the user
    if (isUri) {
      const aor = canonicalAor(to);
      if (aor === undefined) return { kind: 'not-ours' };
      const host = aor.slice(aor.lastIndexOf('@') + 1);
      const domains = this.config.domains.map((d) => d.toLowerCase());
      if (!domains.includes(host) && !gatewayHosts.map((d) => d.toLowerCase()).includes(host)) return { kind: 'not-ours' };
      user = aor.slice(aor.indexOf(':') + 1, aor.lastIndexOf('@'));
      key = domains.includes(host) ? aor : user;
    } else {
      user = to;
      if (!this.config.users.some((u) => u.username === user)) return { kind: 'not-ours' };
      key = user;
    }
    // A bare user (or the gateway's own host with no such domain configured) matches the first
    // AOR with that user part: the host a terminal registered under is its own choice.
    const bindings = registrar.lookup(key);
    const best = bindings[0];
    if (best) return { kind: 'registered', user, aor: best.aor, contact: best.contact };
    // RFC 3261 21.4.18: 480 = a known user who is not currently registered; 404 = no such user.
    if (this.config.users.some((u) => u.username === user)) return { kind: 'refused', status: 480, reason: `"${user}" is not registered` };
    return { kind: 'refused', status: 404, reason: `"${user}" is not registered here (no such registrar user)` };
  }

  close(): void {
    this.sip.setRegistrar(undefined);
    this.registrar?.close();
    this.registrar = undefined;
  }
}

import type { TrunkConfig } from '../../config/index.ts';
import { Registration, type RegistrationOptions, type RegistrationState, type SipStack, type TransportName } from '../../sip/index.ts';
import type { Logger } from '../logger.ts';

/** A trunk's outbound registration as GET /api/trunks shows it. */
export interface TrunkRegistrationSummary {
  /** idle | registering | registered | retrying | stopped (sip/registration). */
  state: RegistrationState;
  aor: string;
  /** The registrar in use (or being tried). */
  registrar: string;
  registrars: string[];
  /** Lifetime the registrar granted at the last 2xx, s. */
  grantedS?: number;
  /** When the last 2xx arrived (ms since the epoch). */
  registeredAt?: number;
  /** Last failure seen: SIP status (408 timeout, 503 transport) and reason. */
  lastFailure?: { status: number; reason: string; at: number };
  /** When the next attempt after a failed round is due (ms since the epoch). */
  retryAt?: number;
}

interface Entry {
  /** The options the registration runs with, serialized: a reload that changes them restarts it. */
  key: string;
  registration: Registration;
  summary: Omit<TrunkRegistrationSummary, 'state' | 'registrar'>;
}

/**
 * Keeps every trunk with `outbound.register` registered at its upstream registrar(s) (RFC 3261
 * 10.2) through sip/registration: REGISTER at start, refresh before the granted expiry, failover
 * and backoff, Expires 0 when the trunk's registration is removed or changed by a reload and at
 * shutdown. Calls are never touched. One log line per state change.
 */
export class TrunkRegistrations {
  private readonly entries = new Map<string, Entry>();
  /** Unregistrations in flight (reload, shutdown); a replacement starts once its predecessor is gone. */
  private readonly stopping = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly core: SipStack, private readonly logger: Logger) {}

  /** Starts, keeps, restarts or stops registrations to match `trunks` (start and every reload). */
  apply(trunks: readonly TrunkConfig[]): void {
    if (this.closed) return;
    const wanted = new Map<string, { options: RegistrationOptions; key: string }>();
    for (const trunk of trunks) {
      const options = registrationOptions(trunk);
      // The credentials provider is a function: the key takes the configured credentials instead.
      if (options) wanted.set(trunk.name, { options, key: JSON.stringify([options, trunk.outbound?.credentials]) });
    }
    for (const [name, entry] of this.entries) {
      const options = wanted.get(name);
      if (options && options.key === entry.key) continue;
      this.stopEntry(name, entry, options ? 'trunk registration changed' : 'trunk registration removed');
    }
    for (const [name, { options, key }] of wanted) {
      if (this.entries.has(name)) continue;
      // RFC 3261 10.3 step 7 works per contact: our Expires 0 must reach the registrar before the
      // new REGISTER for the same contact, or it would remove the new binding.
      const before = this.stopping.get(name) ?? Promise.resolve();
      const entry = this.create(name, options, key);
      this.entries.set(name, entry);
      void before.then(() => {
        if (this.entries.get(name) === entry) entry.registration.start();
      });
    }
  }

  summary(name: string): TrunkRegistrationSummary | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    return { state: entry.registration.state, registrar: entry.registration.registrar, ...entry.summary };
  }

  /** Unregisters every trunk (shutdown); resolves when each Expires 0 got its answer or timed out. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [name, entry] of this.entries) this.stopEntry(name, entry, 'gateway shutting down');
    await Promise.all(this.stopping.values());
  }

  private stopEntry(name: string, entry: Entry, why: string): void {
    this.entries.delete(name);
    const previous = this.stopping.get(name) ?? Promise.resolve();
    const done = previous.then(() => entry.registration.stop()).then(() => {
      this.logger.info('trunk registration stopped', { trunk: name, aor: entry.summary.aor, why });
      if (this.stopping.get(name) === done) this.stopping.delete(name);
    });
    this.stopping.set(name, done);
  }

  private create(name: string, options: RegistrationOptions, key: string): Entry {
    const registration = new Registration(this.core, options);
    const entry: Entry = { key, registration, summary: { aor: options.aor, registrars: options.registrars } };
    const log = this.logger;
    let lastRegistrar: string | undefined;
    registration.on('registered', (grantedS, registrar) => {
      const wasRegistered = lastRegistrar === registrar;
      lastRegistrar = registrar;
      const { lastFailure } = entry.summary;
      entry.summary = { aor: options.aor, registrars: options.registrars, grantedS, registeredAt: Date.now(), ...(lastFailure ? { lastFailure } : {}) };
      if (wasRegistered) log.debug('trunk registration refreshed', { trunk: name, registrar, grantedS });
      else log.info('trunk registered', { trunk: name, aor: options.aor, registrar, grantedS });
    });
    registration.on('failover', (from, to, status) => {
      lastRegistrar = undefined;
      entry.summary = { ...entry.summary, lastFailure: { status, reason: `failed over from ${from}`, at: Date.now() } };
      log.warn('trunk registration failing over', { trunk: name, from, to, status });
    });
    registration.on('failed', (status, reason, retryInS) => {
      lastRegistrar = undefined;
      const at = Date.now();
      entry.summary = { aor: options.aor, registrars: options.registrars, lastFailure: { status, reason, at }, retryAt: at + retryInS * 1000 };
      log.warn('trunk registration failed at every registrar', { trunk: name, status, reason, retryInS });
    });
    log.info('trunk registration starting', { trunk: name, aor: options.aor, registrars: options.registrars });
    return entry;
  }
}

/** The Registration options of a trunk, or undefined when it does not register. */
export function registrationOptions(trunk: TrunkConfig): RegistrationOptions | undefined {
  const out = trunk.outbound;
  const reg = out?.register;
  if (!out || !reg?.enabled) return undefined;
  const transport = out.transport as TransportName;
  const param = transport === 'udp' ? '' : `;transport=${transport}`;
  const hosts = reg.registrars ?? [{ host: out.host, port: out.port }];
  const user = reg.user ?? out.credentials?.username ?? out.fromUser;
  const credentials = out.credentials;
  return {
    aor: `sip:${user}@${reg.domain ?? hosts[0]!.host}`,
    registrars: hosts.map((h) => `sip:${h.host}:${h.port}${param}`),
    ...(credentials
      ? {
        // RFC 3261 22.2: answer only the configured realm when one is given.
        credentials: (realm: string) => (credentials.realm === undefined || credentials.realm === realm
          ? { username: credentials.username, password: credentials.password }
          : undefined),
      }
      : {}),
    expiresS: reg.expiresS,
    retryAfterS: reg.retryS,
    retryMaxS: reg.retryMaxS,
    primaryRetryS: reg.primaryRetryS,
    transport,
  };
}

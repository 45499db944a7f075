// The gateway's gatekeepers (issue #5, H.225.0 clause 7 RAS): one RasTransport on the RAS socket
// (config h323.ras) shared by one RasEndpoint per configured gatekeeper (h323.gatekeepers),
// registering the H.225.0 listener's address; admission before calls, disengage after, state for
// the admin API, unregistration on shutdown.
import type { GatekeeperConfig, H323Config } from '../../config/index.ts';
import type { Alias, IpPort } from '../../h323/asn1/index.ts';
import { RasEndpoint, RasTransport, openUdpRasSocket, type RasCall, type RasEndpointState, type RasEndpointStats } from '../../h323/ras/index.ts';
import type { Logger } from '../logger.ts';

/** A gatekeeper as GET /api/gatekeepers shows it. */
export interface GatekeeperSummary {
  name: string;
  host: string;
  port: number;
  state: RasEndpointState;
  endpointId?: string;
  gatekeeperId?: string;
  stats: RasEndpointStats;
}

export class Gatekeepers {
  /** Calls the gatekeeper disengaged itself (its DRQ, answered DCF): no DRQ of ours follows. */
  private readonly disengagedByGatekeeper = new Set<string>();
  /** DRQs in flight: close() lets them finish before the URQ. */
  private readonly pending = new Set<Promise<void>>();

  private constructor(
    private readonly transport: RasTransport,
    private readonly endpoints: { config: GatekeeperConfig; ep: RasEndpoint }[],
    private readonly log: Logger,
  ) {}

  /** Opens the RAS socket and starts one endpoint per gatekeeper; `callSignalAddress` is what rooms reach us at. */
  static async open(h323: H323Config, callSignalAddress: IpPort, logger: Logger): Promise<Gatekeepers> {
    const log = logger.child?.({ component: 'ras' }) ?? logger;
    const socket = await openUdpRasSocket(h323.ras.bind, h323.ras.port);
    // one transport for all: its retransmission timer is the first gatekeeper's (rasTimeoutMs, rasRetries)
    const first = h323.gatekeepers[0];
    const transport = new RasTransport({ socket, logger: log, ...(first ? { timeoutMs: first.rasTimeoutMs, retries: first.rasRetries } : {}) });
    const endpoints = h323.gatekeepers.map((g) => {
      const aliases: Alias[] = [...g.aliases.h323Id.map((h323Id) => ({ h323Id })), ...g.aliases.e164.map((dialledDigits) => ({ dialledDigits }))];
      const ep = new RasEndpoint({
        gatekeeper: { name: g.name, host: g.host, port: g.port },
        transport, aliases, prefixes: g.prefixes, callSignalAddress,
        timeToLiveS: g.timeToLiveS, discovery: g.discovery, reregisterBackoffMs: g.reregisterBackoffMs,
        ...(g.gatekeeperId ? { gatekeeperId: g.gatekeeperId } : {}),
        logger: log,
      });
      ep.on('error', (err) => log.debug('ras error', { gatekeeper: g.name, error: err.message }));
      ep.on('registered', (r) => log.info('registered with gatekeeper', { gatekeeper: g.name, endpointId: r.endpointId, timeToLiveS: r.timeToLiveS }));
      ep.on('unregistered', (u) => log.info('gatekeeper registration ended', { gatekeeper: g.name, by: u.by, reason: u.reason }));
      ep.start();
      return { config: g, ep };
    });
    return new Gatekeepers(transport, endpoints, log);
  }

  /** The endpoint calls are admitted through: the first gatekeeper we are registered with. */
  registered(): RasEndpoint | undefined {
    return this.endpoints.find((e) => e.ep.state === 'registered')?.ep;
  }

  /** Every endpoint's `disengageRequested` (the gatekeeper's DRQ, H.225.0 7.10): callIdentifier bytes. */
  onDisengageRequested(handler: (callId: Uint8Array, reason: string) => void): void {
    for (const { ep } of this.endpoints) {
      ep.on('disengageRequested', (d) => {
        this.disengagedByGatekeeper.add(Buffer.from(d.callId).toString('hex'));
        handler(d.callId, d.reason);
      });
    }
  }

  summaries(): GatekeeperSummary[] {
    return this.endpoints.map(({ config, ep }) => ({
      name: config.name, host: config.host, port: config.port, state: ep.state,
      ...(ep.registration ? { endpointId: ep.registration.endpointId, ...(ep.registration.gatekeeperId ? { gatekeeperId: ep.registration.gatekeeperId } : {}) } : {}),
      stats: ep.stats(),
    }));
  }

  /** DRQ for an admitted call; failures are logged (the call is over anyway). */
  disengage(ep: RasEndpoint, call: RasCall, callId: string): void {
    if (this.disengagedByGatekeeper.delete(Buffer.from(call.callId).toString('hex'))) return;
    const p = ep.disengage(call).catch((err: Error) => void this.log.warn('ras disengage failed', { callId, error: err.message }));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for DRQs in flight, URQ to each registered gatekeeper (H.225.0 7.6), then closes the endpoints and the socket. */
  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    await Promise.all(this.endpoints.map(({ ep }) => (ep.state === 'registered' ? ep.unregister().catch(() => undefined) : undefined)));
    for (const { ep } of this.endpoints) ep.close();
    this.transport.close();
  }
}

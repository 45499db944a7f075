import { randomBytes } from 'node:crypto';
import { SipRequest, type SipStack, type TransportName } from '../../sip/index.ts';
import type { Logger } from '../logger.ts';
import type { TrunkState } from './trunk-set.ts';

/** The part of SipStack an OPTIONS probe needs (its UaCore client-transaction surface). */
type ProbeStack = Pick<SipStack, 'addVia' | 'decorate' | 'sendRequest' | 'resolveTarget' | 'contactUri' | 'advertisedHost'>;

/**
 * RFC 3261 11.1: out-of-dialog OPTIONS toward each trunk with `keepalive.intervalS` > 0, through
 * the stack's non-INVITE client transactions (Timer F bounds each probe). A 2xx-6xx other than
 * 5xx/408 counts as alive (the peer answered); `failureThreshold` consecutive failures mark the
 * trunk down, one success marks it up.
 */
export class TrunkKeepalive {
  private timers = new Map<string, NodeJS.Timeout>();
  private inFlight = new Set<string>();

  constructor(
    private readonly stack: ProbeStack,
    private readonly logger: Logger,
    /** The trunk's current state by name: a probe in flight across a reload updates the new state. */
    private readonly current: (name: string) => TrunkState | undefined = () => undefined,
  ) {}

  /** (Re)starts probing for `trunks`; stops probing trunks no longer listed. */
  watch(trunks: readonly TrunkState[]): void {
    this.stop();
    for (const trunk of trunks) {
      const interval = trunk.config.outbound?.keepalive.intervalS ?? 0;
      if (interval <= 0) continue;
      const timer = setInterval(() => this.probe(trunk), interval * 1000);
      timer.unref();
      this.timers.set(trunk.config.name, timer);
      this.probe(trunk);
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearInterval(timer);
    this.timers.clear();
  }

  /** Sends one OPTIONS; updates the trunk's reachability from the outcome. */
  probe(trunk: TrunkState): void {
    const out = trunk.config.outbound;
    const name = trunk.config.name;
    if (!out || this.inFlight.has(name)) return;
    this.inFlight.add(name);
    // The stack's TransportName grows 'tls' with issue #3's TLS transport.
    const transport = out.transport as TransportName;
    const uri = `sip:${out.host}:${out.port}${transport === 'udp' ? '' : `;transport=${transport}`}`;
    const settle = (ok: boolean, status?: number) => {
      this.inFlight.delete(name);
      this.record(trunk, ok, status);
    };
    this.stack.resolveTarget(uri, transport).then(
      (dest) => {
        const req = this.optionsRequest(uri, out.fromUser, transport);
        this.stack.sendRequest(req, dest, {
          onResponse: (res) => {
            if (res.status < 200) return;
            settle(!(res.status >= 500 || res.status === 408), res.status);
          },
          onTimeout: () => settle(false, 408),
          onTransportError: () => settle(false, 503),
        });
      },
      (err: Error) => {
        this.logger.warn('trunk keepalive: cannot resolve peer', { trunk: name, error: err.message });
        settle(false);
      },
    );
  }

  private optionsRequest(uri: string, fromUser: string, transport: TransportName): SipRequest {
    const req = new SipRequest('OPTIONS', uri);
    this.stack.addVia(req, transport);
    const host = this.stack.advertisedHost;
    req.headers.append('Max-Forwards', '70');
    req.headers.append('From', `<sip:${fromUser}@${host}>;tag=${randomBytes(6).toString('hex')}`);
    req.headers.append('To', `<${uri}>`);
    req.headers.append('Call-ID', `${randomBytes(12).toString('hex')}@${host}`);
    req.headers.append('CSeq', '1 OPTIONS');
    req.headers.append('Contact', `<${this.stack.contactUri(transport)}>`);
    req.headers.append('Accept', 'application/sdp');
    this.stack.decorate(req);
    return req;
  }

  private record(probed: TrunkState, ok: boolean, status?: number): void {
    const trunk = this.current(probed.config.name) ?? probed;
    trunk.lastProbeAt = Date.now();
    if (status !== undefined) trunk.lastProbeStatus = status;
    const before = trunk.reachability;
    if (ok) {
      trunk.consecutiveFailures = 0;
      trunk.reachability = 'up';
    } else {
      trunk.consecutiveFailures++;
      const threshold = trunk.config.outbound?.keepalive.failureThreshold ?? 3;
      if (trunk.consecutiveFailures >= threshold) trunk.reachability = 'down';
    }
    if (before !== trunk.reachability) {
      this.logger.info('trunk reachability changed', { trunk: trunk.config.name, from: before, to: trunk.reachability, status });
    }
  }
}

import { CallMedia, PortAllocator } from '../bridge/index.ts';
import type { GatewayConfig } from '../config/index.ts';
import { SipStack, type IncomingInvite } from '../sip/index.ts';
import { resolveAdvertisedAddress } from './addresses.ts';
import { joinMeeting } from './connectors/mediasoup-meeting/index.ts';
import { DialPlan, userPartOf } from './dial-plan.ts';
import { InboundCall, type CallSummary } from './inbound-call.ts';
import type { Logger } from './logger.ts';

export interface GatewayStats {
  activeCalls: number;
  callsTotal: number;
  mediaPortsInUse: number;
  sip: ReturnType<SipStack['stats']>;
}

/**
 * The gateway: receives calls from room terminals, resolves them through the dial plan and joins
 * each to its meeting. Owns the SIP stack, the RTP port pool and the live calls.
 */
export class Gateway {
  private readonly calls = new Map<string, InboundCall>();
  private callsTotal = 0;
  private dialPlan: DialPlan;
  private closed = false;

  private constructor(
    private config: GatewayConfig,
    private readonly sip: SipStack,
    private readonly ports: PortAllocator,
    private readonly logger: Logger,
  ) {
    this.dialPlan = new DialPlan(config.dialPlan);
    sip.on('invite', (invite) => this.onInvite(invite));
  }

  static async start(config: GatewayConfig, logger: Logger): Promise<Gateway> {
    const advertised = resolveAdvertisedAddress(config.sip.advertisedAddress, config.sip.bind);
    const sip = await SipStack.start({
      bindAddress: config.sip.bind,
      port: config.sip.port,
      advertisedAddress: advertised,
      transports: config.sip.transports,
      timers: config.sip.timers,
      userAgent: config.sip.userAgent,
      logger: logger.child({ component: 'sip' }),
    });
    const ports = new PortAllocator({ min: config.media.portRange.min, max: config.media.portRange.max });
    const gateway = new Gateway(config, sip, ports, logger);
    logger.info('gateway listening', { sip: `${config.sip.bind}:${sip.port ?? config.sip.port}`, advertised, meeting: config.meeting.url });
    return gateway;
  }

  /** The SIP port actually bound (useful when configured as 0). */
  get sipPort(): number {
    return this.sip.port ?? this.config.sip.port;
  }

  stats(): GatewayStats {
    return {
      activeCalls: this.calls.size,
      callsTotal: this.callsTotal,
      mediaPortsInUse: this.ports.inUse,
      sip: this.sip.stats(),
    };
  }

  activeCalls(): CallSummary[] {
    return [...this.calls.values()].map((c) => c.summary());
  }

  /** Replaces the dial plan and codec policy for new calls; live calls keep what they agreed. */
  applyConfig(config: GatewayConfig): void {
    this.dialPlan = new DialPlan(config.dialPlan);
    this.config = { ...this.config, dialPlan: config.dialPlan, codecs: config.codecs, meeting: config.meeting };
  }

  private onInvite(invite: IncomingInvite): void {
    const log = this.logger.child({ callId: invite.callId });
    if (this.closed) {
      invite.reject(503, 'Shutting down', { 'Retry-After': '30' });
      return;
    }
    const dialled = userPartOf(invite.requestUri);
    const target = dialled === undefined ? undefined : this.dialPlan.resolve(dialled);
    if (!target) {
      log.info('no dial plan rule for the dialled number', { requestUri: invite.requestUri });
      invite.reject(404, 'No such meeting');
      return;
    }
    const mediaBind = this.config.media.bind;
    const call = new InboundCall({
      invite,
      roomId: target.roomId,
      codecs: this.config.codecs,
      mediaAddress: { bind: mediaBind, advertised: resolveAdvertisedAddress(this.config.media.advertisedAddress, mediaBind) },
      ports: this.ports,
      createMedia: (opts) => CallMedia.create(opts),
      joinMeeting: (opts) => joinMeeting({ ...opts, url: this.config.meeting.url, audio: true }),
      joinTimeoutMs: this.config.meeting.joinTimeoutMs,
      logger: this.logger,
      onEnded: (ended) => this.calls.delete(ended.callId),
    });
    this.calls.set(call.callId, call);
    this.callsTotal++;
    log.info('incoming call', { from: invite.fromUri, requestUri: invite.requestUri, roomId: target.roomId, source: invite.source });
    call.run().catch((err: Error) => {
      log.error('call failed', { error: err.message, stack: err.stack });
      call.closeWith({ by: 'gateway', reason: `internal error: ${err.message}` });
    });
  }

  /** Ends every call (BYE toward answered rooms) and stops the SIP stack. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const calls = [...this.calls.values()];
    for (const call of calls) call.closeWith({ by: 'gateway', reason: 'gateway shutting down' });
    // Give each room its BYE (RFC 3261 15) before the transports close; bounded by Timer F.
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, 64 * this.config.sip.timers.t1Ms)));
    await Promise.race([Promise.all(calls.map((c) => c.byeSent)), limit]);
    clearTimeout(timer);
    await this.sip.close();
  }
}

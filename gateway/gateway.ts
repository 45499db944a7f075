import { availableParallelism } from 'node:os';
import { PortAllocator } from '../bridge/index.ts';
import type { GatewayConfig } from '../config/index.ts';
import { SipStack, type IncomingInvite } from '../sip/index.ts';
import { H323Listener, newCallReference, newGuid, type IncomingH323Call } from '../h323/h225/index.ts';
import { RasRejectError, RasTimeoutError, type RasCall, type RasEndpoint } from '../h323/ras/index.ts';
import type { ReleaseReason } from '../h323/asn1/index.ts';
import { Gatekeepers, type GatekeeperSummary } from './h323/gatekeepers.ts';
import { InboundH323Call } from './h323/inbound-h323-call.ts';
import { aliasesFor, OutboundH323Call } from './h323/outbound-h323-call.ts';
import { resolveAdvertisedAddress } from './addresses.ts';
import { DialPlan, userPartOf } from './dial-plan.ts';
import { planDialOut, type DialRequest } from './dial-out-plan.ts';
import { InboundCall, type CallSummary } from './inbound-call.ts';
import { withLevelChecks, type Logger } from './logger.ts';
import type { CallMediaHandle, CreateMediaOptions, JoinOptions, MeetingLegHandle } from './media-plane/handles.ts';
import { MediaPlane, type MediaHostSummary } from './media-plane/media-plane.ts';
import type { DtmfDigit } from '../bridge/index.ts';
import { OutboundCall, type DialOutcome, type OutboundCallDeps } from './outbound-call.ts';
import { RegistrarService, type RegistrationSummary } from './registrar-service.ts';
import { InboundAdmission } from './trunks/inbound-admission.ts';
import { TrunkKeepalive } from './trunks/keepalive.ts';
import { TrunkRegistrations, type TrunkRegistrationSummary } from './trunks/trunk-registration.ts';
import { TrunkSet, type TrunkState } from './trunks/trunk-set.ts';

/** A trunk as GET /api/trunks shows it. */
export interface TrunkSummary {
  name: string;
  outbound?: { host: string; port: number; transport: string };
  state: TrunkState['reachability'];
  activeCalls: number;
  maxConcurrentCalls: number;
  consecutiveFailures: number;
  lastProbeAt?: number;
  lastProbeStatus?: number;
  /** Outbound registration state, for trunks with `outbound.register`. */
  registration?: TrunkRegistrationSummary;
}

export interface GatewayStats {
  activeCalls: number;
  callsTotal: number;
  mediaPortsInUse: number;
  /** Load of each running media thread (calls' media, meeting legs, meetings). */
  mediaThreads: MediaHostSummary[];
  sip: ReturnType<SipStack['stats']>;
}

/**
 * The gateway: receives calls from room terminals, resolves them through the dial plan and joins
 * each to its meeting. Owns the SIP stack, the RTP port pool and the live calls.
 */
export class Gateway {
  private readonly calls = new Map<string, InboundCall | OutboundCall | InboundH323Call | OutboundH323Call>();
  /** H.225.0 call signalling listener (config h323.signalling), when enabled. */
  private h323?: H323Listener;
  /** RAS endpoints of h323.gatekeepers (with h323.signalling enabled). */
  private gatekeepers?: Gatekeepers;
  private callsTotal = 0;
  private dialPlan: DialPlan;
  private readonly trunks: TrunkSet;
  private readonly keepalive: TrunkKeepalive;
  private readonly admission: InboundAdmission;
  private readonly registrar: RegistrarService;
  /**
   * The calls' media and meeting legs, in worker threads (media.workers; issue #4): every call of
   * a meeting on one thread, which keeps the meeting's shared mix (one encode per distinct mix).
   */
  private readonly mediaPlane: MediaPlane;
  private readonly trunkRegistrations: TrunkRegistrations;
  /**
   * Media bind and SDP address, resolved once: `media` changes need a restart, and `auto` lists the
   * network interfaces (os.networkInterfaces(), ~100-400 µs), too dear to repeat for every call.
   */
  private readonly mediaAddress: { bind: string; advertised: string };
  private closed = false;
  /** h323.dialOut.permitted: reloadable, unlike the H.323 listener. */
  private h323DialOut: string[];
  private h323DialOutVideo: boolean;

  private constructor(
    private config: GatewayConfig,
    private readonly sip: SipStack,
    private readonly ports: PortAllocator,
    private readonly logger: Logger,
  ) {
    this.dialPlan = new DialPlan(config.dialPlan);
    this.h323DialOut = config.h323?.dialOut.permitted ?? [];
    this.h323DialOutVideo = config.h323?.dialOut.video ?? false;
    this.mediaAddress = { bind: config.media.bind, advertised: resolveAdvertisedAddress(config.media.advertisedAddress, config.media.bind) };
    this.mediaPlane = new MediaPlane({
      workers: config.media.workers === 'auto' ? availableParallelism() : config.media.workers,
      ports,
      logger: logger.child({ component: 'media-plane' }),
      debug: logger.isLevelEnabled('debug'),
    });
    this.trunks = new TrunkSet(config.trunks, config.sip.allowedSources);
    this.keepalive = new TrunkKeepalive(sip, logger.child({ component: 'trunk-keepalive' }), (name) => this.trunks.get(name));
    this.keepalive.watch(this.trunks.all());
    this.admission = new InboundAdmission(this.trunks, logger.child({ component: 'admission' }));
    sip.setRequestAuthorizer(this.admission.authorize);
    this.registrar = new RegistrarService(config.registrar, sip, sip.clock, logger.child({ component: 'registrar' }));
    sip.on('invite', (invite) => this.onInvite(invite));
    this.trunkRegistrations = new TrunkRegistrations(sip, logger.child({ component: 'trunk-registration' }));
    this.trunkRegistrations.apply(config.trunks);
  }

  static async start(config: GatewayConfig, logger: Logger): Promise<Gateway> {
    withLevelChecks(logger);
    const advertised = resolveAdvertisedAddress(config.sip.advertisedAddress, config.sip.bind);
    const sip = await SipStack.start({
      bindAddress: config.sip.bind,
      port: config.sip.port,
      advertisedAddress: advertised,
      transports: config.sip.transports,
      ...(config.sip.tls ? { tls: config.sip.tls } : {}),
      ...(config.sip.ws ? { ws: config.sip.ws } : {}),
      rateLimit: config.sip.rateLimit,
      timers: config.sip.timers,
      userAgent: config.sip.userAgent,
      logger: logger.child({ component: 'sip' }),
    });
    const ports = new PortAllocator({ min: config.media.portRange.min, max: config.media.portRange.max });
    const gateway = new Gateway(config, sip, ports, logger);
    const signalling = config.h323?.signalling;
    if (!signalling?.enabled && (config.h323?.gatekeepers.length ?? 0) > 0) {
      logger.warn('h323.gatekeepers ignored: h323.signalling is not enabled (nothing to register)');
    }
    if (signalling?.enabled) {
      try {
        gateway.h323 = await H323Listener.listen({ bindAddress: signalling.bind, port: signalling.port, logger: logger.child({ component: 'h225' }) });
      } catch (err) {
        await sip.close();
        throw err;
      }
      gateway.h323.on('call', (call) => gateway.onH323Call(call));
      if (config.h323!.gatekeepers.length > 0) {
        // H.225.0 7.2: we register the listener's address; rooms reach us there through the gatekeeper
        const csa = { ip: resolveAdvertisedAddress('auto', signalling.bind), port: gateway.h323.port };
        try {
          gateway.gatekeepers = await Gatekeepers.open(config.h323!, csa, logger);
        } catch (err) {
          await gateway.h323.close();
          await sip.close();
          throw err;
        }
        gateway.gatekeepers.onDisengageRequested((id, reason) => gateway.onGatekeeperDisengage(id, reason));
      }
    }
    logger.info('gateway listening', { sip: `${config.sip.bind}:${sip.port ?? config.sip.port}`, advertised, meeting: config.meeting.url });
    return gateway;
  }

  /** The SIP port actually bound (useful when configured as 0). */
  get sipPort(): number {
    return this.sip.port ?? this.config.sip.port;
  }

  /** The H.225.0 call signalling port bound, when h323.signalling is enabled. */
  get h323Port(): number | undefined {
    return this.h323?.port;
  }

  /** The SIP transports' counters (rate-limited drops, malformed input, connections). */
  sipTransportStats(): ReturnType<SipStack['transportStats']> {
    return this.sip.transportStats();
  }

  stats(): GatewayStats {
    return {
      activeCalls: this.calls.size,
      callsTotal: this.callsTotal,
      mediaPortsInUse: this.ports.inUse,
      mediaThreads: this.mediaPlane.summary(),
      sip: this.sip.stats(),
    };
  }

  activeCalls(): CallSummary[] {
    return [...this.calls.values()].map((c) => c.summary());
  }

  trunkSummaries(): TrunkSummary[] {
    return this.trunks.all().map((t) => ({
      name: t.config.name,
      ...(t.config.outbound ? { outbound: { host: t.config.outbound.host, port: t.config.outbound.port, transport: t.config.outbound.transport } } : {}),
      state: t.reachability,
      activeCalls: t.activeCalls,
      maxConcurrentCalls: t.config.maxConcurrentCalls,
      consecutiveFailures: t.consecutiveFailures,
      ...(t.lastProbeAt ? { lastProbeAt: t.lastProbeAt, lastProbeStatus: t.lastProbeStatus } : {}),
      ...this.registrationOf(t.config.name),
    }));
  }

  private registrationOf(trunk: string): { registration?: TrunkRegistrationSummary } {
    const registration = this.trunkRegistrations.summary(trunk);
    return registration ? { registration } : {};
  }

  /** The configured gatekeepers and our registration with each (GET /api/gatekeepers); [] when none. */
  gatekeeperSummaries(): GatekeeperSummary[] {
    return this.gatekeepers?.summaries() ?? [];
  }

  /** A gatekeeper's DRQ (H.225.0 7.10): the call it names is released. */
  private onGatekeeperDisengage(callIdentifier: Uint8Array, reason: string): void {
    const id = Buffer.from(callIdentifier).toString('hex');
    const call = this.calls.get(id);
    this.logger.info('gatekeeper disengage request', { callId: id, reason, known: call !== undefined });
    call?.closeWith({ by: 'gateway', reason: `gatekeeper disengage (${reason})` });
  }

  /** Current bindings of the gateway's registrar (GET /api/registrations); [] when disabled. */
  registrations(): RegistrationSummary[] {
    return this.registrar.bindings();
  }

  /**
   * Replaces dial plan, trunks, source allow-lists, codec policy and meeting settings for new
   * calls; live calls keep what they agreed. Settings that need a restart (SIP/media binding,
   * admin API) are kept and logged.
   */
  applyConfig(config: GatewayConfig): void {
    const needsRestart = restartOnlyChanges(this.config, config);
    if (needsRestart.length > 0) this.logger.warn('configuration changes that need a restart were not applied', { keys: needsRestart });
    this.dialPlan = new DialPlan(config.dialPlan);
    this.trunks.reconfigure(config.trunks, config.sip.allowedSources);
    this.admission.reconfigure();
    this.keepalive.watch(this.trunks.all());
    this.trunkRegistrations.apply(config.trunks);
    this.registrar.apply(config.registrar);
    this.h323DialOut = config.h323?.dialOut.permitted ?? [];
    this.h323DialOutVideo = config.h323?.dialOut.video ?? false;
    this.config = {
      ...this.config,
      sip: { ...this.config.sip, allowedSources: config.sip.allowedSources },
      dialPlan: config.dialPlan,
      trunks: config.trunks,
      codecs: config.codecs,
      meeting: config.meeting,
      registrar: config.registrar,
    };
  }

  /** Places a call from meeting `request.meeting` to a room through a configured trunk (dial-out). */
  async dialOut(request: DialRequest): Promise<DialOutcome> {
    const refuse = (status: number, reason: string): DialOutcome => {
      this.logger.info('dial-out refused', { to: request.to, trunk: request.trunk, reason });
      return { status: 'failed', callId: '', sipStatus: status, reason, attempts: [] };
    };
    if (/^h323:/i.test(request.to)) return this.dialOutH323(request, refuse);
    // A terminal registered with our registrar is dialled at its Contact (RFC 3261 16.5), no trunk.
    const registered = request.trunk === undefined && MEETING_ID.test(request.meeting)
      ? this.registrar.resolve(request.to, [this.sip.advertisedHost, this.config.sip.bind].filter((h) => h !== '0.0.0.0' && h !== '::'))
      : { kind: 'not-ours' as const };
    if (registered.kind === 'refused') return refuse(registered.status, registered.reason);
    const plan = registered.kind === 'registered'
      ? { ok: true as const, number: registered.user, trunks: [] }
      : planDialOut(request, this.dialPlan, this.trunks);
    if (!plan.ok) return refuse(plan.status, plan.reason);
    if (this.closed) return { status: 'failed', callId: '', sipStatus: 503, reason: 'shutting down', attempts: [] };
    const direct: Pick<OutboundCallDeps, 'registered'> = registered.kind === 'registered'
      ? { registered: { aor: registered.aor, contact: registered.contact, codecs: this.config.codecs, fromUser: 'roomgate', srtp: this.config.media.srtp } }
      : {};
    const call = new OutboundCall({
      roomId: request.meeting,
      to: request.to,
      number: plan.number,
      trunks: plan.trunks,
      ...direct,
      acquire: (t) => this.trunks.tryAcquire(t),
      release: (t) => this.trunks.release(t),
      invite: (opts) => this.sip.invite(opts),
      advertisedSipHost: this.sip.advertisedHost,
      mediaAddress: this.mediaAddress,
      createMedia: (opts) => this.createMedia(opts, request.meeting),
      joinMeeting: (opts) => this.joinMeeting(opts),
      joinTimeoutMs: this.config.meeting.joinTimeoutMs,
      logger: this.logger,
      onEnded: (ended) => this.calls.delete(ended.callId),
    });
    this.calls.set(call.callId, call);
    this.callsTotal++;
    this.logger.info('dial-out', { callId: call.callId, roomId: request.meeting, to: request.to, trunks: plan.trunks.map((t) => t.config.name),
      ...(direct.registered ? { contact: direct.registered.contact } : {}) });
    try {
      return await call.run();
    } catch (err) {
      this.logger.error('dial-out failed', { callId: call.callId, error: (err as Error).message, stack: (err as Error).stack });
      call.closeWith({ by: 'gateway', reason: `internal error: ${(err as Error).message}`, status: 500 });
      return { status: 'failed', callId: call.callId, sipStatus: 500, reason: 'internal error', attempts: [] };
    }
  }

  /**
   * H.323 dial-out (issue #5): `h323:alias@host[:port]` places a Setup to host:port (1720 by
   * default). No open relay: only targets an `h323.dialOut.permitted` pattern matches in full.
   */
  private async dialOutH323(request: DialRequest, refuse: (status: number, reason: string) => DialOutcome): Promise<DialOutcome> {
    if (!MEETING_ID.test(request.meeting)) return refuse(400, 'meeting must be a room id ([A-Za-z0-9_.~-])');
    const target = request.to.slice('h323:'.length);
    const m = /^([^@\s]+)(?:@([A-Za-z0-9.-]+)(?::(\d{1,5}))?)?$/.exec(target);
    if (!m) return refuse(400, 'to must be h323:alias@host[:port] or h323:alias (through the gatekeeper)');
    const port = m[3] === undefined ? 1720 : Number(m[3]);
    if (port < 1 || port > 65535) return refuse(400, 'port out of range');
    const permitted = this.h323DialOut.some((r) => new RegExp(`^(?:${r})$`).test(target));
    if (!permitted) return refuse(403, `"${target}" is not a permitted H.323 dial-out target (h323.dialOut.permitted)`);
    if (this.closed) return { status: 'failed', callId: '', sipStatus: 503, reason: 'shutting down', attempts: [] };
    const alias = m[1]!;
    const identity = { callIdentifier: newGuid(), conferenceId: newGuid(), callReference: newCallReference() };
    const callId = Buffer.from(identity.callIdentifier).toString('hex');
    let address = m[2] === undefined ? undefined : { host: m[2], port };
    let admitted: { ep: RasEndpoint; rasCall: RasCall } | undefined;
    if (!address) {
      // H.225.0 7.11: ARQ (answerCall false, destinationInfo = the alias); the ACF says where to send the Setup
      const ep = this.gatekeepers?.registered();
      if (!ep) return refuse(503, `no registered gatekeeper to route "${alias}"`);
      const rasCall: RasCall = { callId: identity.callIdentifier, conferenceId: identity.conferenceId, callReference: identity.callReference, answerCall: false, destination: aliasesFor(alias) };
      try {
        const acf = await ep.admit(rasCall);
        if (!acf.destCallSignalAddress) throw new Error('ACF without destCallSignalAddress');
        address = { host: acf.destCallSignalAddress.ip, port: acf.destCallSignalAddress.port };
        admitted = { ep, rasCall };
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('ACF')) void ep.disengage(rasCall).catch(() => undefined);
        const reason = err instanceof RasRejectError ? `gatekeeper rejected: ${err.reason}` : `gatekeeper: ${(err as Error).message}`;
        this.logger.info('h323 dial-out not admitted', { callId, to: request.to, reason });
        return { status: 'failed', callId, protocol: 'h323', sipStatus: err instanceof RasRejectError ? 404 : 503, reason, attempts: [] };
      }
    }
    const call = new OutboundH323Call({
      roomId: request.meeting,
      to: request.to,
      address,
      alias,
      identity,
      video: this.h323DialOutVideo,
      mediaAddress: this.mediaAddress,
      createMedia: (opts) => this.createMedia(opts, request.meeting),
      joinMeeting: (opts) => this.joinMeeting(opts),
      joinTimeoutMs: this.config.meeting.joinTimeoutMs,
      logger: this.logger,
      onEnded: (ended) => {
        this.calls.delete(ended.callId);
        if (admitted) this.gatekeepers?.disengage(admitted.ep, admitted.rasCall, ended.callId); // H.225.0 7.10: DRQ after the call
      },
    }, callId);
    this.calls.set(call.callId, call);
    this.callsTotal++;
    this.logger.info('dial-out', { callId: call.callId, protocol: 'h323', roomId: request.meeting, to: request.to });
    let r;
    try {
      r = await call.run();
    } catch (err) {
      this.logger.error('dial-out failed', { callId: call.callId, error: (err as Error).message, stack: (err as Error).stack });
      call.closeWith({ by: 'gateway', reason: `internal error: ${(err as Error).message}` }, 41);
      return { status: 'failed', callId: call.callId, protocol: 'h323', sipStatus: 500, reason: 'internal error', attempts: [] };
    }
    return { status: r.status, callId: r.callId, protocol: 'h323', sipStatus: r.status === 'answered' ? 200 : 502, reason: r.reason,
      ...(r.cause !== undefined ? { cause: r.cause } : {}), attempts: [] };
  }

  /** Ends a live call by its id (admin API DELETE); false when there is no such call. */
  hangUp(callId: string): boolean {
    const call = this.calls.get(callId);
    if (!call) return false;
    call.closeWith({ by: 'gateway', reason: 'hung up by the operator' });
    return true;
  }

  /** Plays keys to a live call's room (admin API); 'no-call' / 'not-active' say why not. */
  sendDtmf(callId: string, digits: DtmfDigit[], durationMs?: number): 'ok' | 'no-call' | 'not-active' {
    const call = this.calls.get(callId);
    if (!call) return 'no-call';
    return call.sendDtmf(digits, durationMs) ? 'ok' : 'not-active';
  }

  /** Media of one call, on its meeting's media thread: the shared mix, jitter buffers, the configured media timeout (issue #4). */
  private createMedia(opts: CreateMediaOptions, meetingId: string): Promise<CallMediaHandle> {
    return this.mediaPlane.createMedia(meetingId, { ...opts, mediaTimeoutMs: this.config.media.mediaTimeoutS * 1000 });
  }

  /** The call's leg into its meeting, on the same media thread as its media. */
  private joinMeeting(opts: JoinOptions): Promise<MeetingLegHandle> {
    return this.mediaPlane.joinMeeting({ ...opts, url: this.config.meeting.url });
  }

  private onInvite(invite: IncomingInvite): void {
    const log = this.logger.child({ callId: invite.callId });
    if (this.closed) {
      invite.reject(503, 'Shutting down', { 'Retry-After': '30' });
      return;
    }
    // Source allow-lists (403) and digest auth (401) were applied by InboundAdmission, the stack's
    // request authorizer, before the INVITE reached us.
    const trunk = this.admission.trunkOf(invite.request);
    const dialled = userPartOf(invite.requestUri);
    const target = dialled === undefined ? undefined : this.dialPlan.resolve(dialled);
    if (!target || target.kind === 'trunk') {
      // Trunk targets are dial-out routes: the gateway never relays SIP to SIP (no open relay).
      log.info('no dial plan rule for the dialled number', { requestUri: invite.requestUri, target: target?.kind });
      invite.reject(404, 'No such meeting');
      return;
    }
    if (trunk && !this.trunks.tryAcquire(trunk)) {
      // RFC 3261 21.5.4: 503 with Retry-After when the trunk's concurrent call limit is reached.
      log.warn('trunk call limit reached', { trunk: trunk.config.name, limit: trunk.config.maxConcurrentCalls });
      invite.reject(503, 'Trunk call limit reached', { 'Retry-After': '30' });
      return;
    }
    // A signalling-only call joins no room (and creates no media); its summary names the mode instead.
    const roomId = target.kind === 'room' ? target.roomId : '(signalling-only)';
    const call = new InboundCall({
      invite,
      roomId,
      ...(target.kind === 'signalling-only' ? { signallingOnly: true } : {}),
      codecs: this.config.codecs,
      srtp: trunk ? (trunk.config.inbound?.srtp ?? trunk.config.outbound?.srtp ?? this.config.media.srtp) : this.config.media.srtp,
      mediaAddress: this.mediaAddress,
      createMedia: (opts) => this.createMedia(opts, roomId),
      joinMeeting: (opts) => this.joinMeeting(opts),
      joinTimeoutMs: this.config.meeting.joinTimeoutMs,
      logger: this.logger,
      ...(trunk ? { trunk: trunk.config.name } : {}),
      onEnded: (ended) => {
        this.calls.delete(ended.callId);
        if (trunk) this.trunks.release(trunk);
      },
    });
    this.calls.set(call.callId, call);
    this.callsTotal++;
    log.info('incoming call', { from: invite.fromUri, requestUri: invite.requestUri,
      ...(target.kind === 'room' ? { roomId: target.roomId } : { signallingOnly: true }), source: invite.source });
    call.run().catch((err: Error) => {
      log.error('call failed', { error: err.message, stack: err.stack });
      call.closeWith({ by: 'gateway', reason: `internal error: ${err.message}` });
    });
  }

  /** An H.323 Setup (issue #5): the meeting number through the same dial plan as SIP, room targets only. */
  private onH323Call(call: IncomingH323Call): void {
    const log = this.logger.child({ callId: call.callId, protocol: 'h323' });
    if (this.closed) {
      call.reject(41, 'gatewayResources'); // Q.850 41 temporary failure
      return;
    }
    const dialled = call.meetingNumber;
    const target = dialled === undefined ? undefined : this.dialPlan.resolve(dialled);
    if (!target || target.kind !== 'room') {
      // Q.850 1 unallocated number: the H.323 counterpart of 404 (trunk targets are dial-out only)
      log.info('no dial plan rule for the dialled meeting', { dialled, called: call.setup.calledNumber, aliases: call.setup.destinationAliases, target: target?.kind });
      call.reject(1, 'unreachableDestination');
      return;
    }
    const roomId = target.roomId;
    const gk = this.gatekeepers?.registered();
    if (!gk) return this.startInboundH323(call, roomId, dialled, log);
    // H.225.0 7.11: ARQ (answerCall true) before we answer; ARJ → ReleaseComplete with its reason
    const rasCall: RasCall = {
      callId: call.callIdentifier, conferenceId: call.conferenceId, callReference: call.callReference, answerCall: true,
      source: call.setup.sourceAliases, ...(call.setup.destinationAliases.length ? { destination: call.setup.destinationAliases } : {}),
      srcCallSignalAddress: { ip: call.remote.address, port: call.remote.port },
    };
    gk.admit(rasCall).then(() => {
      if (call.isReleased || this.closed) return void this.gatekeepers?.disengage(gk, rasCall, call.callId);
      this.startInboundH323(call, roomId, dialled, log, () => this.gatekeepers?.disengage(gk, rasCall, call.callId));
    }, (err: Error) => {
      const reason = (err as { releaseReason?: string }).releaseReason ?? 'undefinedReason';
      // Q.850 21 call rejected; 41 temporary failure when the gatekeeper did not answer
      const cause = err instanceof RasTimeoutError ? 41 : 21;
      log.info('h323 call not admitted by the gatekeeper', { error: err.message, cause, reason, rejected: err instanceof RasRejectError });
      if (!call.isReleased) call.reject(cause, reason as ReleaseReason);
    });
  }

  private startInboundH323(call: IncomingH323Call, roomId: string, dialled: string | undefined, log: Logger, disengage?: () => void): void {
    const h323Call = new InboundH323Call({
      call,
      roomId,
      mediaAddress: this.mediaAddress,
      createMedia: (opts) => this.createMedia(opts, roomId),
      joinMeeting: (opts) => this.joinMeeting(opts),
      joinTimeoutMs: this.config.meeting.joinTimeoutMs,
      logger: this.logger,
      onEnded: (ended) => {
        this.calls.delete(ended.callId);
        disengage?.(); // H.225.0 7.10: DRQ after release
      },
    });
    this.calls.set(h323Call.callId, h323Call);
    this.callsTotal++;
    log.info('incoming call', { protocol: 'h323', roomId, dialled, remote: `${call.remote.address}:${call.remote.port}`, fastStart: call.setup.fastStart.length });
    h323Call.run().catch((err: Error) => {
      log.error('call failed', { error: err.message, stack: err.stack });
      h323Call.closeWith({ by: 'gateway', reason: `internal error: ${err.message}` }, 41);
    });
  }

  /** Ends every call (BYE toward answered rooms) and stops the SIP stack. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.keepalive.stop();
    this.registrar.close();
    const calls = [...this.calls.values()];
    for (const call of calls) call.closeWith({ by: 'gateway', reason: 'gateway shutting down' });
    // Give each room its BYE (RFC 3261 15) before the transports close; bounded by Timer F.
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, 64 * this.config.sip.timers.t1Ms)));
    // RFC 3261 10.2.2: trunks registered upstream remove their bindings (Expires 0) meanwhile.
    await Promise.race([Promise.all([...calls.map((c) => c.byeSent), this.trunkRegistrations.close()]), limit]);
    clearTimeout(timer);
    await this.gatekeepers?.close(); // URQ (H.225.0 7.6), after the calls' DRQs went out
    await this.h323?.close();
    await this.sip.close();
    await this.mediaPlane.close();
  }
}

/** Meeting room ids, as planDialOut checks them before dialling. */
const MEETING_ID = /^[A-Za-z0-9_.~-]{1,128}$/;

/** Settings bound at start (sockets, port pool, admin API): a reload cannot change them. */
function restartOnlyChanges(before: GatewayConfig, after: GatewayConfig): string[] {
  const fixed = (c: GatewayConfig) => ({ sip: { ...c.sip, allowedSources: [] }, media: c.media, admin: c.admin, logging: c.logging, h323: c.h323 && { signalling: c.h323.signalling, ras: c.h323.ras, gatekeepers: c.h323.gatekeepers } });
  const a = fixed(before);
  const b = fixed(after);
  return (Object.keys(a) as (keyof typeof a)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

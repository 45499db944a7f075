// The gateway as a RAS endpoint of one gatekeeper (H.225.0 clause 7, H.323 7.2): discovery,
// registration with lightweight keepalive re-registration, admission before each call,
// disengage after, bandwidth changes, unregistration both ways, IRQ answered with IRR.
import { EventEmitter } from 'node:events';
import {
  admissionRequest, bandwidthRequest, disengageRequest, gatekeeperRequest, infoRequestResponse, keepAliveRegistrationRequest,
  readH225Address, readRasAnswer, registrationRequest, unregistrationConfirm, unregistrationReject, unregistrationRequest,
  type Alias, type IpPort, type RasMessage,
} from '../asn1/index.ts';
import { systemClock, silentLogger, type Clock, type Logger, type TimerHandle } from './clock.ts';
import { RasClosedError, RasError, RasNotRegisteredError, RasRejectError } from './errors.ts';
import type { RasTransport } from './transport.ts';

export type RasEndpointState = 'idle' | 'discovering' | 'registering' | 'registered' | 'unregistered' | 'closed';

export interface GatekeeperPeer {
  /** Configured name, used in errors and logs. */
  name: string;
  host: string;
  /** H.225.0: the gatekeeper's well-known RAS port is 1719. */
  port: number;
}

export interface RasEndpointOptions {
  gatekeeper: GatekeeperPeer;
  transport: RasTransport;
  /** terminalAlias: h323-IDs and dialledDigits the gatekeeper routes to us. */
  aliases: Alias[];
  /** Gateway dialling prefixes (supportedPrefixes). Default []. */
  prefixes?: string[];
  /** Our H.225.0 call signalling address (TCP 1720 usually), as announced. */
  callSignalAddress: IpPort;
  /** Our RAS address as announced; default the transport's local address. */
  rasAddress?: IpPort;
  /** timeToLive requested in the RRQ, s; 0 = none (the gatekeeper decides). Default 300. */
  timeToLiveS?: number;
  /** Send GRQ first (unicast to the gatekeeper) and take its GCF's gatekeeperIdentifier. Default false. */
  discovery?: boolean;
  /** Gatekeeper identifier to register with, when known without discovery. Optional. */
  gatekeeperId?: string;
  /** Wait before registering again after a failure or a gatekeeper URQ, ms. Default 10000. */
  reregisterBackoffMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** A call as RAS sees it (H.225.0 7.x ARQ/DRQ/BRQ/IRR). */
export interface RasCall {
  /** CallIdentifier guid, 16 octets. */
  callId: Uint8Array;
  /** conferenceID, 16 octets. */
  conferenceId: Uint8Array;
  /** Q.931 call reference value (0..65535). */
  callReference: number;
  /** true when we answer an incoming call (ARQ answerCall). */
  answerCall: boolean;
  /** srcInfo aliases; default our own aliases. */
  source?: Alias[];
  destination?: Alias[];
  destCallSignalAddress?: IpPort;
  srcCallSignalAddress?: IpPort;
  /** Requested bandwidth, kbit/s (both directions). Default 1280 (H.225.0 carries units of 100 bit/s). */
  bandwidthKbps?: number;
  /** H.245 address for IRR perCallInfo, when known. */
  h245Address?: IpPort;
}

export interface Admission {
  /** Where to send the Setup (outgoing) — the peer or the gatekeeper (routed model). */
  destCallSignalAddress?: IpPort;
  bandwidthKbps: number;
  callModel: string;
  irrFrequencyS?: number;
}

export interface RegistrationInfo {
  endpointId: string;
  gatekeeperId?: string;
  timeToLiveS?: number;
}

export interface RasEndpointEvents {
  registered: [RegistrationInfo];
  /** `by`: who ended the registration: us (URQ on shutdown), the gatekeeper (its URQ), or a failure. */
  unregistered: [{ by: 'us' | 'gatekeeper' | 'failure'; reason?: string }];
  error: [RasError];
  /** The gatekeeper asked to drop a call (DRQ from the gatekeeper, H.225.0 7.10); the gateway releases it. */
  disengageRequested: [{ callId: Uint8Array; reason: string }];
}

export interface RasEndpointStats {
  state: RasEndpointState;
  registrations: number;
  keepAlives: number;
  admissions: number;
  admissionRejects: number;
  disengages: number;
  /** Requests from addresses other than the gatekeeper's, ignored. */
  foreignRequests: number;
  activeCalls: number;
  lastError?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const toUnits = (kbps: number) => Math.max(0, Math.round(kbps * 10)); // H.225.0 BandWidth: 100 bit/s units
const toKbps = (units: number) => units / 10;

export class RasEndpoint extends EventEmitter<RasEndpointEvents> {
  private readonly o: RasEndpointOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** The configured gatekeeper address; requests go to the GCF's rasAddress once discovered. */
  private readonly gk: IpPort;
  private st: RasEndpointState = 'idle';
  private reg?: RegistrationInfo;
  private gatekeeperId?: string;
  private refreshTimer?: TimerHandle;
  private retryTimer?: TimerHandle;
  private readonly calls = new Map<string, RasCall & { bandwidthUnits: number }>();
  private readonly counters = { registrations: 0, keepAlives: 0, admissions: 0, admissionRejects: 0, disengages: 0, foreignRequests: 0 };
  /** The GCF's rasAddress, when it differs from the configured one (its requests may come from there). */
  private gcfRasAddress?: IpPort;
  private lastError?: string;
  /** Set by unregister()/close(): no keepalive or re-registration after it. */
  private stopped = false;
  private readonly reported = new WeakSet<Error>();
  /** A GCF was received from this gatekeeper (RRQ discoveryComplete, H.225.0 7.2.2). */
  private discovered = false;

  constructor(o: RasEndpointOptions) {
    super();
    this.o = o;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.gk = { ip: o.gatekeeper.host, port: o.gatekeeper.port };
    this.gatekeeperId = o.gatekeeperId;
    o.transport.onRequest((req) => {
      // Only our gatekeeper may unregister us or ask about our calls; anyone else is ignored.
      if (!this.isGatekeeper(req.from)) {
        this.counters.foreignRequests++;
        this.log.debug('ras request from a stranger ignored', { type: req.message.type, from: `${req.from.ip}:${req.from.port}` });
        return;
      }
      this.onGatekeeperRequest(req.message, req.reply);
    });
  }

  get state(): RasEndpointState {
    return this.st;
  }

  get registration(): RegistrationInfo | undefined {
    return this.reg;
  }

  stats(): RasEndpointStats {
    return { state: this.st, ...this.counters, activeCalls: this.calls.size, lastError: this.lastError };
  }

  /** Discovery (optional) and full registration. Rejects with RasRejectError / RasTimeoutError. */
  async register(): Promise<RegistrationInfo> {
    this.assertOpen('register');
    this.stopped = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    if (this.o.discovery) await this.discover();
    return this.fullRegistration();
  }

  /**
   * For the gateway: register, and keep trying every `reregisterBackoffMs` until it works; failures
   * come as 'error' events. Later losses (keepalive failure, the gatekeeper's URQ) retry the same way.
   */
  start(): void {
    this.register().catch(() => this.scheduleReregister());
  }

  /** ARQ → ACF (H.225.0 7.8); ARJ rejects with RasRejectError naming the reason. */
  async admit(call: RasCall): Promise<Admission> {
    const reg = this.requireRegistration('ARQ');
    const units = toUnits(call.bandwidthKbps ?? 1280);
    const answer = await this.ask((seq) => admissionRequest({
      seq, endpointId: reg.endpointId, conferenceId: call.conferenceId, callId: call.callId, callReference: call.callReference,
      answerCall: call.answerCall, bandwidth: units, source: call.source ?? this.o.aliases, destination: call.destination,
      destCallSignalAddress: call.destCallSignalAddress, srcCallSignalAddress: call.srcCallSignalAddress, gatekeeperId: this.gatekeeperId,
    }));
    const a = readRasAnswer(answer);
    if (answer.type !== 'admissionConfirm') {
      this.counters.admissionRejects++;
      throw this.fail(new RasRejectError('admissionRequest', this.o.gatekeeper.name, a.rejectReason ?? 'undefinedReason'), false);
    }
    this.counters.admissions++;
    const granted = a.bandwidth ?? units;
    this.calls.set(hex(call.callId), { ...call, bandwidthUnits: granted });
    this.log.info('ras admitted', { callId: hex(call.callId), dest: a.destCallSignalAddress, bandwidthKbps: toKbps(granted) });
    return { destCallSignalAddress: a.destCallSignalAddress, bandwidthKbps: toKbps(granted), callModel: a.callModel ?? 'direct', irrFrequencyS: a.irrFrequencyS };
  }

  /** DRQ → DCF after the call ends (H.225.0 7.10). The call is forgotten whatever the answer. */
  async disengage(call: RasCall, reason: 'normalDrop' | 'forcedDrop' | 'undefinedReason' = 'normalDrop'): Promise<void> {
    const reg = this.requireRegistration('DRQ');
    this.calls.delete(hex(call.callId));
    const answer = await this.ask((seq) => disengageRequest({
      seq, endpointId: reg.endpointId, conferenceId: call.conferenceId, callId: call.callId, callReference: call.callReference,
      answeredCall: call.answerCall, reason,
    }));
    if (answer.type !== 'disengageConfirm') {
      throw this.fail(new RasRejectError('disengageRequest', this.o.gatekeeper.name, readRasAnswer(answer).rejectReason ?? 'undefinedReason'), false);
    }
    this.counters.disengages++;
    this.log.info('ras disengaged', { callId: hex(call.callId) });
  }

  /** BRQ → BCF (H.225.0 7.11): returns the bandwidth granted, kbit/s. */
  async bandwidth(call: RasCall, kbps: number): Promise<number> {
    const reg = this.requireRegistration('BRQ');
    const answer = await this.ask((seq) => bandwidthRequest({
      seq, endpointId: reg.endpointId, conferenceId: call.conferenceId, callId: call.callId, callReference: call.callReference,
      bandwidth: toUnits(kbps), answeredCall: call.answerCall,
    }));
    const a = readRasAnswer(answer);
    if (answer.type !== 'bandwidthConfirm') {
      const allowed = (answer.value as { allowedBandWidth?: number }).allowedBandWidth;
      throw this.fail(new RasRejectError('bandwidthRequest', this.o.gatekeeper.name, a.rejectReason ?? 'undefinedReason', allowed), false);
    }
    const granted = a.bandwidth ?? toUnits(kbps);
    const known = this.calls.get(hex(call.callId));
    if (known) known.bandwidthUnits = granted;
    return toKbps(granted);
  }

  /** URQ → UCF on shutdown (H.225.0 7.7); then no re-registration. */
  async unregister(): Promise<void> {
    const reg = this.reg;
    this.stopped = true;
    this.stopTimers();
    if (!reg || this.st !== 'registered') {
      if (this.st !== 'closed') this.st = 'unregistered';
      return;
    }
    this.st = 'unregistered';
    this.reg = undefined;
    try {
      const answer = await this.ask((seq) => unregistrationRequest({
        seq, callSignalAddress: this.o.callSignalAddress, aliases: this.o.aliases, endpointId: reg.endpointId, gatekeeperId: this.gatekeeperId,
      }));
      if (answer.type !== 'unregistrationConfirm') {
        throw this.fail(new RasRejectError('unregistrationRequest', this.o.gatekeeper.name, readRasAnswer(answer).rejectReason ?? 'undefinedReason'), false);
      }
      this.log.info('ras unregistered', { gatekeeper: this.o.gatekeeper.name });
    } finally {
      this.emit('unregistered', { by: 'us' });
    }
  }

  /** Stops timers and forgets the registration; does not close the transport (its owner does). Idempotent. */
  close(): void {
    this.stopped = true;
    this.stopTimers();
    this.st = 'closed';
    this.reg = undefined;
  }

  // ---- registration ------------------------------------------------------------------------

  /** GRQ → GCF/GRJ, unicast to the configured gatekeeper (H.225.0 7.2.1). */
  private async discover(): Promise<void> {
    this.st = 'discovering';
    this.discovered = false;
    const answer = await this.ask((seq) => gatekeeperRequest({ seq, rasAddress: this.rasAddress(), aliases: this.o.aliases, gatekeeperId: this.o.gatekeeperId }))
      .catch((e: RasError) => { throw this.fail(e, true); });
    const a = readRasAnswer(answer);
    if (answer.type !== 'gatekeeperConfirm') {
      throw this.fail(new RasRejectError('gatekeeperRequest', this.o.gatekeeper.name, a.rejectReason ?? 'undefinedReason'), true);
    }
    if (a.gatekeeperId) this.gatekeeperId = a.gatekeeperId;
    this.gcfRasAddress = a.rasAddress;
    this.discovered = true;
    this.log.info('ras gatekeeper discovered', { gatekeeper: this.o.gatekeeper.name, gatekeeperId: this.gatekeeperId, ras: a.rasAddress });
  }

  private async fullRegistration(): Promise<RegistrationInfo> {
    this.st = 'registering';
    const answer = await this.ask((seq) => registrationRequest({
      seq, callSignalAddress: this.o.callSignalAddress, rasAddress: this.rasAddress(), aliases: this.o.aliases, prefixes: this.o.prefixes,
      gatekeeperId: this.gatekeeperId, timeToLiveS: this.o.timeToLiveS ?? 300, discoveryComplete: this.discovered,
    })).catch((e: RasError) => { throw this.fail(e, true); });
    const a = readRasAnswer(answer);
    if (answer.type !== 'registrationConfirm') {
      throw this.fail(new RasRejectError('registrationRequest', this.o.gatekeeper.name, a.rejectReason ?? 'undefinedReason'), true);
    }
    this.counters.registrations++;
    return this.registered(a.endpointId ?? '', a.gatekeeperId ?? this.gatekeeperId, a.timeToLiveS);
  }

  private registered(endpointId: string, gatekeeperId: string | undefined, ttl: number | undefined): RegistrationInfo {
    const first = this.st !== 'registered';
    this.reg = { endpointId, gatekeeperId, timeToLiveS: ttl };
    this.gatekeeperId = gatekeeperId;
    this.st = 'registered';
    this.scheduleRefresh(ttl);
    if (first) {
      this.log.info('ras registered', { gatekeeper: this.o.gatekeeper.name, endpointId, gatekeeperId, timeToLiveS: ttl });
      this.emit('registered', this.reg);
    }
    return this.reg;
  }

  /** H.225.0 7.9.1: re-register (lightweight) before timeToLive runs out; a safety margin of ≤ 25 %, ≤ 30 s. */
  private scheduleRefresh(ttlS: number | undefined): void {
    this.refreshTimer?.cancel();
    this.refreshTimer = undefined;
    if (!ttlS) return;
    const ttlMs = ttlS * 1000;
    this.refreshTimer = this.clock.setTimer(ttlMs - Math.min(ttlMs / 4, 30_000), () => void this.keepAlive());
  }

  /** Lightweight RRQ (keepAlive=true, endpointIdentifier, gatekeeperIdentifier; H.225.0 7.9.1). */
  private async keepAlive(): Promise<void> {
    const reg = this.reg;
    if (this.st !== 'registered' || !reg) return;
    this.counters.keepAlives++;
    try {
      const answer = await this.ask((seq) => keepAliveRegistrationRequest({
        seq, callSignalAddress: this.o.callSignalAddress, rasAddress: this.rasAddress(), endpointId: reg.endpointId,
        gatekeeperId: this.gatekeeperId, timeToLiveS: this.o.timeToLiveS ?? 300, discoveryComplete: this.discovered,
      }));
      if (this.st !== 'registered') return;
      const a = readRasAnswer(answer);
      if (answer.type === 'registrationConfirm') {
        this.registered(a.endpointId ?? reg.endpointId, a.gatekeeperId ?? this.gatekeeperId, a.timeToLiveS ?? reg.timeToLiveS);
        return;
      }
      // H.225.0 7.9.1: fullRegistrationRequired → a full RRQ; discoveryRequired → GRQ then RRQ.
      this.log.info('ras keepalive refused, registering again', { reason: a.rejectReason });
      this.st = 'registering';
      if (a.rejectReason === 'discoveryRequired') {
        await this.discover();
      } else if (a.rejectReason !== 'fullRegistrationRequired') {
        throw new RasRejectError('registrationRequest', this.o.gatekeeper.name, a.rejectReason ?? 'undefinedReason');
      }
      await this.fullRegistration();
    } catch (err) {
      if (this.stopped || this.retryTimer) return; // unregister()/close(), or a gatekeeper URQ, came first
      this.lost(err as RasError);
    }
  }

  /** The registration is gone through a failure: report it and try again after the backoff. */
  private lost(err: RasError): void {
    this.reg = undefined;
    this.st = 'unregistered';
    this.refreshTimer?.cancel();
    this.fail(err, false);
    this.emit('unregistered', { by: 'failure', reason: err.message });
    this.scheduleReregister();
  }

  private scheduleReregister(): void {
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimer(this.o.reregisterBackoffMs ?? 10_000, () => {
      this.retryTimer = undefined;
      if (this.stopped || this.st !== 'unregistered') return;
      this.register().catch(() => this.scheduleReregister()); // fail() has logged and emitted it
    });
  }

  // ---- the gatekeeper's requests -----------------------------------------------------------

  private onGatekeeperRequest(msg: RasMessage, reply: (m: RasMessage, to?: IpPort) => void): void {
    const v = msg.value as Record<string, unknown>;
    const seq = v.requestSeqNum as number;
    switch (msg.type) {
      case 'unregistrationRequest': {
        // H.225.0 7.7: the gatekeeper cancels our registration; UCF, then register again later.
        const reg = this.reg;
        if (!reg || this.st !== 'registered' || (typeof v.endpointIdentifier === 'string' && v.endpointIdentifier !== reg.endpointId)) {
          reply(unregistrationReject(seq, 'notCurrentlyRegistered'));
          return;
        }
        reply(unregistrationConfirm(seq));
        const reason = (v.reason as { type?: string } | undefined)?.type;
        this.log.warn('ras unregistered by the gatekeeper', { gatekeeper: this.o.gatekeeper.name, reason });
        this.reg = undefined;
        this.st = 'unregistered';
        this.refreshTimer?.cancel();
        this.emit('unregistered', { by: 'gatekeeper', reason });
        this.scheduleReregister();
        return;
      }
      case 'infoRequest': {
        // H.225.0 7.15: IRR with the call asked about (callReferenceValue 0 = all calls), to replyAddress if given.
        const reg = this.reg;
        if (!reg) return; // not registered: nothing to report; the gatekeeper times out
        const crv = v.callReferenceValue as number;
        const calls = [...this.calls.values()].filter((c) => crv === 0 || c.callReference === crv);
        reply(infoRequestResponse({
          seq, endpointId: reg.endpointId, rasAddress: this.rasAddress(), callSignalAddress: this.o.callSignalAddress, aliases: this.o.aliases,
          calls: calls.map((c) => ({
            endpointId: reg.endpointId, conferenceId: c.conferenceId, callId: c.callId, callReference: c.callReference,
            h245: c.h245Address, originator: !c.answerCall, bandwidth: c.bandwidthUnits,
          })),
        }), readH225Address(v.replyAddress));
        return;
      }
      case 'disengageRequest': {
        // H.225.0 7.10: a gatekeeper-initiated DRQ forces the call down; DCF and tell the gateway.
        const id = (v.callIdentifier as { guid?: Uint8Array } | undefined)?.guid;
        const known = id && this.calls.get(hex(id));
        if (!known) {
          reply({ type: 'disengageReject', value: { requestSeqNum: seq, rejectReason: { type: 'requestToDropOther', value: null } } });
          return;
        }
        this.calls.delete(hex(known.callId));
        reply({ type: 'disengageConfirm', value: { requestSeqNum: seq } });
        this.emit('disengageRequested', { callId: known.callId, reason: (v.disengageReason as { type: string }).type });
        return;
      }
      default:
        this.log.debug('ras request from the gatekeeper ignored', { type: msg.type, seq });
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  private ask(build: (seq: number) => RasMessage): Promise<RasMessage> {
    // H.225.0 7.2.1: after discovery, RAS goes to the RAS address the GCF gave.
    const to = this.discovered && this.gcfRasAddress ? this.gcfRasAddress : this.gk;
    return this.o.transport.request(build, to, { peerName: this.o.gatekeeper.name }).catch((e: RasError) => {
      throw this.fail(e, false);
    });
  }

  private isGatekeeper(from: IpPort): boolean {
    const same = (a?: IpPort) => a !== undefined && a.ip === from.ip && a.port === from.port;
    return same(this.gk) || same(this.gcfRasAddress);
  }

  private rasAddress(): IpPort {
    return this.o.rasAddress ?? this.o.transport.localAddress();
  }

  private requireRegistration(what: string): RegistrationInfo {
    if (this.st !== 'registered' || !this.reg) throw new RasNotRegisteredError(what, this.o.gatekeeper.name);
    return this.reg;
  }

  private assertOpen(what: string): void {
    if (this.st === 'closed') throw new RasNotRegisteredError(`${what} (endpoint closed)`, this.o.gatekeeper.name);
  }

  /**
   * Records and reports an error once (log, lastError, 'error' event; a RasClosedError at shutdown
   * only at debug); `registration` marks the endpoint unregistered. Returns it for `throw`.
   */
  private fail(err: RasError, registration: boolean): RasError {
    if (registration && this.st !== 'closed') this.st = 'unregistered';
    if (this.reported.has(err)) return err;
    this.reported.add(err);
    if (err instanceof RasClosedError) {
      this.log.debug('ras request ended by close', { gatekeeper: this.o.gatekeeper.name, error: err.message });
      return err;
    }
    this.lastError = err.message;
    this.log.warn('ras error', { gatekeeper: this.o.gatekeeper.name, code: err.code, error: err.message });
    if (this.listenerCount('error') > 0) this.emit('error', err);
    return err;
  }

  private stopTimers(): void {
    this.refreshTimer?.cancel();
    this.retryTimer?.cancel();
    this.refreshTimer = undefined;
    this.retryTimer = undefined;
  }
}

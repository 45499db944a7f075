// What incoming and outgoing H.323 calls share (H.225.0 7.3-8, Q.931 5 as H.225.0 profiles it):
// the Q.931 call state, one end path (`finish`) that records why, release from either side,
// Information/keypad, Facility (startH245, forwarding), StatusEnquiry/Status, the H.245 tunnel
// (H.323 8.2.1) and the separate H.245 address (H.323 8.1.7, 8.2).
import { randomBytes } from 'node:crypto';
import {
  findIe, IeId, keypadIe, MessageType, parseCause, parseKeypad, type InformationElement,
} from '../q931/index.ts';
import {
  facility, information, readAlias, readH225Address, statusInquiry, tunnelOnly,
  type Alias, type FacilityReasonName, type Fields, type H323UserInformation, type IpPort, type PduOptions, type ReleaseReason,
} from '../asn1/index.ts';
import type { H245Channel } from '../h245/channel.ts';
import type { H225Message, SignallingConnection } from './signalling-connection.ts';
import { hex, typedEmitter, type CallTimers, type Clock, type Logger, type TimerHandle } from './support.ts';

/** Q.931 Table 4-6 user-side call states that H.225.0 uses (no Release/Disconnect: H.225.0 7.3). */
export const CallState = {
  null: 0,
  callInitiated: 1,
  outgoingCallProceeding: 3,
  callDelivered: 4,
  callPresent: 6,
  callReceived: 7,
  incomingCallProceeding: 9,
  active: 10,
} as const;
export type CallStateValue = (typeof CallState)[keyof typeof CallState];

/** Why a call ended; every end goes through `finish` once. */
export interface CallEnd {
  by: 'local' | 'remote' | 'timer' | 'protocol' | 'transport';
  /** Q.850 cause sent or received. */
  cause?: number;
  /** H.225.0 ReleaseCompleteReason sent or received. */
  reason?: string;
  detail: string;
}

export interface FacilityEvent {
  reason: string;
  alternativeAddress?: IpPort;
  alternativeAliases: Alias[];
  h245Address?: IpPort;
}

export interface H323CallEvents {
  /** Outgoing: CallProceeding received. */
  proceeding: () => void;
  /** Outgoing: Alerting received. */
  alerting: () => void;
  /** Outgoing: Progress received. */
  progress: () => void;
  /** Connect sent (incoming) or received (outgoing): the call is active. */
  connected: () => void;
  /** Outgoing: the OLCs the called side accepted (H.323 8.1.7), from the first answer carrying them. */
  'fast-start': (olcs: Uint8Array[]) => void;
  /** Outgoing: the called side refused fastStart (fastConnectRefused, or Connect without it). */
  'fast-start-refused': () => void;
  /** The peer's H.245 listener (Setup/Connect/answers/Facility startH245): connect to it for a separate H.245 channel. */
  'h245-address': (address: IpPort) => void;
  /** Keypad facility IE (Q.931 4.5.18) in an Information message: DTMF keys. */
  keypad: (keys: string) => void;
  /** Facility other than startH245 and the tunnel carrier (forwarding, routeCallToGatekeeper…). */
  facility: (f: FacilityEvent) => void;
  /** Status from the peer (usually the answer to our StatusEnquiry). */
  status: (s: { cause?: number; callState?: number }) => void;
  released: (end: CallEnd) => void;
}

export interface CallContext {
  connection: SignallingConnection;
  logger: Logger;
  clock: Clock;
  timers: CallTimers;
}

/** The H.245 tunnel (H.323 8.2.1) seen as an H245Channel; the call does the carrying. */
class TunnelChannel implements H245Channel {
  readonly outgoing: Uint8Array[] = [];
  private readonly received: Uint8Array[] = [];
  private pduHandlers: ((pdu: Uint8Array) => void)[] = [];
  private closeHandlers: ((reason: string) => void)[] = [];
  closedReason: string | undefined;

  /** `peerReleasing`: the PDUs being delivered came in the peer's ReleaseComplete (no answer can reach it). */
  constructor(private readonly flush: () => void, private readonly peerReleasing: () => boolean) {}

  get canSend(): boolean {
    return this.closedReason === undefined && !this.peerReleasing();
  }

  send(pdus: Uint8Array[]): void {
    if (this.closedReason !== undefined) return;
    this.outgoing.push(...pdus);
    queueMicrotask(this.flush); // PDUs sent in one tick travel in one message
  }

  onPdu(handler: (pdu: Uint8Array) => void): void {
    this.pduHandlers.push(handler);
    for (const p of this.received.splice(0)) handler(p); // PDUs that arrived before anyone listened
  }

  onClose(handler: (reason: string) => void): void {
    if (this.closedReason !== undefined) handler(this.closedReason);
    else this.closeHandlers.push(handler);
  }

  /** PDUs already sent leave first (in a Facility, while the call is live); then nothing more. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    if (this.outgoing.length) this.flush();
    this.closedReason = reason;
    this.outgoing.length = 0;
    for (const h of this.closeHandlers.splice(0)) h(reason);
    this.pduHandlers = [];
  }

  deliver(pdu: Uint8Array): void {
    if (this.closedReason !== undefined) return;
    if (this.pduHandlers.length === 0) this.received.push(pdu);
    for (const h of this.pduHandlers) h(pdu);
  }
}

/** An application call in a state that does not allow it (a bug of the caller, not of the peer). */
export class H225StateError extends Error {
  override readonly name = 'H225StateError';
}

export abstract class H323Call extends typedEmitter<H323CallEvents>() {
  /** CallIdentifier guid (H.225.0 7.6), hex: the id in every log line. */
  readonly callId: string;
  readonly callIdentifier: Uint8Array;
  conferenceId: Uint8Array;
  protected stateValue: CallStateValue;
  protected readonly conn: SignallingConnection;
  protected readonly logger: Logger;
  protected readonly clock: Clock;
  protected readonly timers: CallTimers;
  private timer: { name: string; handle: TimerHandle } | undefined;
  private ended: CallEnd | undefined;
  /** The peer's ReleaseComplete is being handled: nothing more goes out (its tunnel's canSend is false). */
  private peerReleaseComplete = false;
  /** 'pending' until the peer's first answer says whether it tunnels (H.323 8.2.1). */
  protected tunnelState: 'off' | 'pending' | 'on';
  private readonly tunnel: TunnelChannel | undefined;
  private remoteH245: IpPort | undefined;

  protected constructor(ctx: CallContext, o: { callIdentifier: Uint8Array; conferenceId: Uint8Array; state: CallStateValue; tunnelling: 'off' | 'pending' | 'on' }) {
    super();
    this.conn = ctx.connection;
    this.logger = ctx.logger;
    this.clock = ctx.clock;
    this.timers = ctx.timers;
    this.callIdentifier = o.callIdentifier;
    this.conferenceId = o.conferenceId;
    this.callId = hex(o.callIdentifier);
    this.stateValue = o.state;
    this.tunnelState = o.tunnelling;
    if (o.tunnelling !== 'off') this.tunnel = new TunnelChannel(() => this.flushTunnel(), () => this.peerReleaseComplete);
    this.conn.callId = this.callId;
    this.conn.callIdentifier = this.callIdentifier;
    this.conn.on('message', (m) => this.onMessage(m));
    this.conn.on('closed', (why) => this.finish({ by: 'transport', detail: why }));
    this.conn.on('protocol-release', (cause, detail) => this.finish({ by: 'protocol', cause, detail }));
  }

  /** Q.931 Table 4-6 state number. */
  /** Q.931 call reference value of this call (H.225.0 RAS ARQ/DRQ callReferenceValue). */
  get callReference(): number {
    return this.conn.callReference ?? 0;
  }

  get state(): CallStateValue {
    return this.stateValue;
  }

  get isReleased(): boolean {
    return this.ended !== undefined;
  }

  /** Why the call ended, once it has. */
  get end(): CallEnd | undefined {
    return this.ended;
  }

  /** The tunnelled H.245 channel, when tunnelling was asked for (closes if the peer refuses it). */
  get h245Tunnel(): H245Channel | undefined {
    return this.tunnel?.closedReason === undefined ? this.tunnel : undefined;
  }

  /** Whether the peer agreed to tunnel H.245 ('pending' before its first answer). */
  get tunnelling(): 'off' | 'pending' | 'on' {
    return this.tunnelState;
  }

  /** The peer's separate H.245 listener, when it announced one. */
  get remoteH245Address(): IpPort | undefined {
    return this.remoteH245;
  }

  get remote(): { address: string; port: number } {
    return this.conn.remote;
  }

  /** Ends the call: ReleaseComplete with a Q.850 cause (default 16 normal clearing). Idempotent. */
  release(cause = 16, reason?: ReleaseReason): void {
    // Q.931 5.3: a received ReleaseComplete releases the call reference, and is not answered
    // (its tunnelled H.245 is delivered first, and may make the application release the call)
    if (this.ended || this.peerReleaseComplete) return;
    this.releaseWith({ by: 'local', cause, ...(reason ? { reason } : {}), detail: 'released locally' });
  }

  /** DTMF keys as a keypad facility IE in Information (Q.931 4.5.18, H.225.0 7.3.x). */
  sendKeypad(keys: string): void {
    this.requireLive('sendKeypad');
    this.sendMessage(MessageType.information, [keypadIe(keys)], (p) => information({ ...p, callId: this.callIdentifier }));
  }

  /** Facility startH245 with our H.245 listener: the peer connects a separate H.245 channel (H.323 8.2.3). */
  startH245(address: IpPort): void {
    this.requireLive('startH245');
    this.sendMessage(MessageType.facility, [], (p) => facility({ ...p, callId: this.callIdentifier, reason: 'startH245', h245Address: address }));
  }

  /** Any other Facility (H.225.0 7.4.x), e.g. forwardedElements. */
  sendFacility(reason: FacilityReasonName, o: { alternativeAddress?: IpPort } = {}): void {
    this.requireLive('sendFacility');
    this.sendMessage(MessageType.facility, [], (p) => facility({ ...p, callId: this.callIdentifier, reason, ...o }));
  }

  /** StatusEnquiry (Q.931 5.8.10); the answer arrives as a 'status' event. */
  statusEnquiry(): void {
    this.requireLive('statusEnquiry');
    this.sendMessage(MessageType.statusEnquiry, [], (p) => statusInquiry({ ...p, callId: this.callIdentifier }));
  }

  // ---- for subclasses -------------------------------------------------------------------------

  /** Sends a call message; pending tunnelled H.245 PDUs ride in its h245Control (H.323 8.2.1). */
  protected sendMessage(type: number, ies: InformationElement[], build: (p: PduOptions) => H323UserInformation): void {
    this.conn.send(type, ies, build(this.pduOptions()));
  }

  /** h245Tunnelling as agreed, and the tunnelled PDUs waiting to go (H.323 8.2.1). */
  private pduOptions(): PduOptions {
    const p: PduOptions = { h245Tunnelling: this.tunnelState !== 'off' };
    if (this.tunnelState === 'on' && this.tunnel && this.tunnel.outgoing.length) p.h245Control = this.tunnel.outgoing.splice(0);
    return p;
  }

  protected setState(s: CallStateValue): void {
    this.logger.debug('h225 call state', { callId: this.callId, from: this.stateValue, to: s });
    this.stateValue = s;
  }

  /** Starts the named timer, replacing the running one (a call runs at most one at a time). */
  protected startTimer(name: string, ms: number, cause: number): void {
    this.stopTimer();
    const handle = this.clock.setTimer(ms, () => {
      this.timer = undefined;
      this.logger.info('h225 timer expired', { callId: this.callId, timer: name, cause });
      this.releaseWith({ by: 'timer', cause, detail: `${name} expired` });
    });
    this.timer = { name, handle };
  }

  protected stopTimer(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
  }

  protected requireLive(what: string): void {
    if (this.ended) throw new H225StateError(`${what}: call ${this.callId} is released`);
    if (this.stateValue === CallState.null) throw new H225StateError(`${what}: no Setup sent yet`);
  }

  /** Call-direction-specific handling; return false for a message not expected in this state. */
  protected abstract onCallMessage(m: H225Message): boolean;

  /** The peer's H.245 address, from any message carrying one. */
  protected learnH245Address(a: IpPort | undefined): void {
    if (!a || (this.remoteH245 && this.remoteH245.ip === a.ip && this.remoteH245.port === a.port)) return;
    this.remoteH245 = a;
    this.emit('h245-address', a);
  }

  /** Outgoing side: the first answer says whether the peer tunnels (H.323 8.2.1). */
  protected settleTunnelling(peerTunnels: boolean): void {
    if (this.tunnelState !== 'pending') return;
    if (peerTunnels) {
      this.tunnelState = 'on';
      this.flushTunnel();
    } else {
      this.tunnelState = 'off';
      this.tunnel?.close('the peer does not tunnel H.245');
    }
  }

  /** ReleaseComplete (Q.931 5.3.2 as H.225.0 profiles clearing), or just TCP teardown before Setup went out. */
  private releaseWith(end: CallEnd & { cause: number }): void {
    if (this.stateValue === CallState.null) {
      // no Setup sent yet (TCP still connecting): there is no call reference to release
      this.finish(end);
      this.conn.destroy(end.detail);
      return;
    }
    this.conn.releaseAndClose(end.cause, end.detail, end.reason as ReleaseReason | undefined, this.pduOptions());
    this.finish(end);
  }

  /** Tunnelled H.245 PDUs of a received message go to the tunnel (H.323 8.2.1). */
  protected deliverTunnelled(m: H225Message): void {
    const pdus = m.view?.h245Control ?? [];
    if (pdus.length === 0) return;
    if (this.tunnelState === 'off' || !this.tunnel) {
      this.logger.debug('h225 tunnelled H.245 ignored: not tunnelling', { callId: this.callId });
      return;
    }
    for (const pdu of pdus) this.tunnel.deliver(pdu);
  }

  /** The one end path: stops timers, closes the tunnel, records why, emits 'released' once. */
  protected finish(end: CallEnd): void {
    if (this.ended) return;
    this.ended = end;
    this.stopTimer();
    this.stateValue = CallState.null;
    this.tunnel?.close(`call released: ${end.detail}`);
    this.conn.close(end.detail);
    this.logger.info('h225 call ended', { callId: this.callId, by: end.by, cause: end.cause, reason: end.reason, detail: end.detail });
    this.emit('released', end);
  }

  // ---- receiving ------------------------------------------------------------------------------

  private onMessage(m: H225Message): void {
    if (this.ended) return;
    const view = m.view;
    // Q.931 5.3 / H.323 8.5: nothing answers a ReleaseComplete, not even its tunnelled endSessionCommand
    if (m.q931.type === MessageType.releaseComplete) this.peerReleaseComplete = true;
    this.deliverTunnelled(m);
    if (this.ended) return; // the application released the call from a PDU handler
    switch (m.q931.type) {
      case MessageType.releaseComplete: {
        const causeIeFound = findIe(m.q931, IeId.cause);
        let cause: number | undefined;
        try {
          cause = causeIeFound ? parseCause(causeIeFound).value : undefined;
        } catch {
          cause = undefined; // Q.931 5.8.7.2: a bad cause IE in a clearing message does not stop the clearing
        }
        this.finish({ by: 'remote', ...(cause !== undefined ? { cause } : {}), ...(view?.releaseReason ? { reason: view.releaseReason } : {}), detail: 'ReleaseComplete received' });
        return;
      }
      case MessageType.status: {
        const c = findIe(m.q931, IeId.cause);
        const s = findIe(m.q931, IeId.callState);
        let cause: number | undefined;
        try { cause = c ? parseCause(c).value : undefined; } catch { cause = undefined; }
        const callState = s && s.data.length ? s.data[0]! & 0x3f : undefined;
        // Q.931 5.8.11: a peer in the null state has no call: clear ours
        if (callState === 0) {
          this.finish({ by: 'remote', cause: 101, detail: 'peer reports call state 0 (null)' });
          return;
        }
        this.emit('status', { ...(cause !== undefined ? { cause } : {}), ...(callState !== undefined ? { callState } : {}) });
        return;
      }
      case MessageType.information: {
        const k = findIe(m.q931, IeId.keypadFacility);
        if (k) this.emit('keypad', parseKeypad(k));
        return;
      }
      case MessageType.facility:
        this.onFacility(m);
        return;
    }
    if (!this.onCallMessage(m)) {
      // Q.931 5.8.4: message not compatible with the call state → Status cause 101
      this.logger.warn('h225 unexpected message', { callId: this.callId, type: m.name, state: this.stateValue });
      this.conn.sendStatus(101);
    }
  }

  private onFacility(m: H225Message): void {
    const view = m.view;
    if (!view || view.type === 'empty') return; // tunnel carrier only (H.323 8.2.1)
    this.learnH245Address(view.h245Address);
    if (view.type !== 'facility' || view.facilityReason === 'startH245' || view.facilityReason === 'transportedInformation') return;
    const body = (m.uu?.['h323-uu-pdu']['h323-message-body'].value ?? {}) as Fields;
    const alt = readH225Address(body.alternativeAddress);
    const aliases = ((body.alternativeAliasAddress as unknown[] | undefined) ?? []).map(readAlias).filter((a): a is Alias => a !== undefined);
    this.emit('facility', {
      reason: view.facilityReason ?? 'undefinedReason',
      ...(alt ? { alternativeAddress: alt } : {}),
      alternativeAliases: aliases,
      ...(view.h245Address ? { h245Address: view.h245Address } : {}),
    });
  }

  private flushTunnel(): void {
    if (this.ended || this.tunnelState !== 'on' || !this.tunnel || this.tunnel.outgoing.length === 0) return;
    // H.323 8.2.1: with no other message pending, a Facility with an empty body carries the PDUs
    this.sendMessage(MessageType.facility, [], (p) => tunnelOnly(p));
  }
}

export function newGuid(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

/** Q.931 4.3: a non-zero 15-bit call reference chosen by the originating side. */
export function newCallReference(): number {
  return (randomBytes(2).readUInt16BE(0) & 0x7fff) || 1;
}

// The calling side of an H.323 call (H.225.0 8.1, Q.931 5.1 as H.225.0 profiles it): TCP to the
// peer's call signalling address, Setup (state 1, T303) → CallProceeding (3, T310) / Alerting
// (4, T301) / Progress → Connect (10), or ReleaseComplete. fastStart proposals go in Setup
// (H.323 8.1.7); H.245 is tunnelled when both sides say so (H.323 8.2.1).
import { connect as tcpConnect, isIPv4 } from 'node:net';
import {
  bearerCapabilityIe, calledPartyNumberIe, callingPartyNumberIe, displayIe, MessageType, VIDEO_BEARER,
  type BearerCapability, type InformationElement,
} from '../q931/index.ts';
import { encodeUserInformation, setup, type Alias, type IpPort, type PduOptions } from '../asn1/index.ts';
import { CallState, H323Call, newCallReference, newGuid, type CallEnd } from './call.ts';
import { SignallingConnection, type H225Message, type TraceEvent } from './signalling-connection.ts';
import { DEFAULT_CALL_TIMERS, systemClock, type CallTimers, type Clock, type Logger } from './support.ts';

export interface PlaceCallOptions {
  /** Peer's call signalling address (IPv4 or host name). */
  address: string;
  /** Peer's call signalling port. Default 1720 (H.225.0 7.1). */
  port?: number;
  /** Local address to bind before connecting. Default: the OS chooses. */
  localAddress?: string;
  /** Setup-UUIE destinationAddress: what we dial (meeting number, h323-ID, URL). */
  calledAliases?: Alias[];
  /** Q.931 called party number digits. */
  calledNumber?: string;
  /** Q.931 calling party number digits. */
  callingNumber?: string;
  /** Setup-UUIE sourceAddress. */
  callingAliases?: Alias[];
  /** Display IE and Setup-UUIE displayName. */
  displayName?: string;
  /** Bearer capability IE. Default: unrestricted digital 384 kbit/s, H.221/H.242 (video call). */
  bearer?: BearerCapability;
  /** fastStart proposals: PER-encoded OpenLogicalChannel structures built by the media layer (H.323 8.1.7). */
  fastStart?: Uint8Array[];
  /** Offer to tunnel H.245 in the call signalling channel (H.323 8.2.1). Default true. */
  tunnelling?: boolean;
  /** Our separate H.245 listener, sent in Setup. */
  h245Address?: IpPort;
  logger: Logger;
  /** Timer factory. Default: the system clock. */
  clock?: Clock;
  timers?: Partial<CallTimers>;
  trace?: (e: TraceEvent) => void;
  /** callIdentifier, conferenceID and call reference already given to a gatekeeper's ARQ (H.225.0 7.11). Default: fresh. */
  identity?: { callIdentifier: Uint8Array; conferenceId: Uint8Array; callReference: number };
}

/** Thrown by `waitConnected` when the call ends before Connect. */
export class H323CallFailure extends Error {
  override readonly name = 'H323CallFailure';
  constructor(readonly end: CallEnd) {
    super(`call ended before Connect: ${end.detail}${end.cause !== undefined ? ` (cause ${end.cause})` : ''}`);
  }
}

/** Starts an outgoing call at once; watch its events or await `waitConnected()`. */
export function placeCall(o: PlaceCallOptions): OutgoingH323Call {
  return new OutgoingH323Call(o);
}

export class OutgoingH323Call extends H323Call {
  private readonly options: PlaceCallOptions;
  private fastStartSettled: boolean;
  private readonly connected: Promise<void>;

  constructor(o: PlaceCallOptions) {
    const timers = { ...DEFAULT_CALL_TIMERS, ...o.timers };
    const clock = o.clock ?? systemClock;
    const callIdentifier = o.identity?.callIdentifier ?? newGuid();
    const conferenceId = o.identity?.conferenceId ?? newGuid();
    // bad options (a letter in a number, an alias outside its alphabet) throw here, before any socket
    encodeUserInformation(setupMessage(o, callIdentifier, conferenceId, undefined)({ h245Tunnelling: o.tunnelling !== false }));
    const socket = tcpConnect({ host: o.address, port: o.port ?? 1720, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
    const holder: { call?: OutgoingH323Call } = {};
    const connection = new SignallingConnection({
      socket, logger: o.logger, clock, closeLingerMs: timers.closeLingerMs,
      callState: () => holder.call?.state ?? CallState.null, ...(o.trace ? { trace: o.trace } : {}),
    });
    super({ connection, logger: o.logger, clock, timers }, {
      callIdentifier,
      conferenceId,
      state: CallState.null,
      tunnelling: o.tunnelling === false ? 'off' : 'pending',
    });
    holder.call = this;
    this.options = o;
    this.fastStartSettled = !o.fastStart?.length;
    this.connected = new Promise<void>((resolve, reject) => {
      this.once('connected', resolve);
      this.once('released', (end) => reject(new H323CallFailure(end)));
    });
    this.connected.catch(() => undefined); // a caller that only listens to events must not see an unhandled rejection
    this.conn.callReference = o.identity?.callReference ?? newCallReference();
    this.conn.fromDestination = false;
    this.logger.info('h225 outgoing call', { callId: this.callId, to: `${o.address}:${o.port ?? 1720}` });
    // Q.931 T303 covers the TCP connect too, so a silent address cannot hold the call
    this.startTimer('T303', timers.t303Ms, 102);
    socket.once('connect', () => this.sendSetup());
  }

  /** Resolves at Connect; rejects with H323CallFailure when the call ends first. */
  waitConnected(): Promise<void> {
    return this.connected;
  }

  private sendSetup(): void {
    if (this.isReleased) return;
    const o = this.options;
    const local = this.conn.local;
    this.conn.established = true;
    this.sendMessage(MessageType.setup, setupIes(o), setupMessage(o, this.callIdentifier, this.conferenceId, isIPv4(local.address) ? { ip: local.address, port: local.port } : undefined));
    this.setState(CallState.callInitiated);
    this.startTimer('T303', this.timers.t303Ms, 102); // Q.931 5.1.1 (over TCP, no second Setup): cause 102
  }

  protected onCallMessage(m: H225Message): boolean {
    const s = this.stateValue;
    const before = [CallState.callInitiated, CallState.outgoingCallProceeding, CallState.callDelivered] as number[];
    switch (m.q931.type) {
      case MessageType.callProceeding:
        if (s !== CallState.callInitiated) return false;
        this.onAnswer(m);
        if (this.isReleased) return true; // released from an event handler
        this.setState(CallState.outgoingCallProceeding);
        this.startTimer('T310', this.timers.t310Ms, 102); // Q.931 5.1.5.2
        this.emit('proceeding');
        return true;
      case MessageType.alerting:
        if (s !== CallState.callInitiated && s !== CallState.outgoingCallProceeding) return false;
        this.onAnswer(m);
        if (this.isReleased) return true; // released from an event handler
        this.setState(CallState.callDelivered);
        this.startTimer('T301', this.timers.t301Ms, 19); // Q.931 5.1.7: no answer after alerting → cause 19
        this.emit('alerting');
        return true;
      case MessageType.progress:
        if (!before.includes(s)) return false;
        this.onAnswer(m);
        if (this.isReleased) return true; // released from an event handler
        // DEVIATION(Q.931 5.1.6): Progress stops T303/T310 there and leaves no timer running; a
        // gateway must not hold a call forever, so T310 restarts (T301 keeps running after Alerting)
        if (s !== CallState.callDelivered) this.startTimer('T310', this.timers.t310Ms, 102);
        this.emit('progress');
        return true;
      case MessageType.connect:
        if (!before.includes(s)) return false;
        this.onAnswer(m);
        if (this.isReleased) return true; // released from an event handler
        this.stopTimer();
        if (!this.fastStartSettled) {
          // H.323 8.1.7.1: Connect without fastStart means the proposals were not accepted
          this.fastStartSettled = true;
          this.emit('fast-start-refused');
          if (this.isReleased) return true;
        }
        this.setState(CallState.active);
        this.emit('connected');
        return true;
      default:
        return false;
    }
  }

  private onAnswer(m: H225Message): void {
    const view = m.view!;
    if (view.conferenceId && m.q931.type === MessageType.connect) this.conferenceId = view.conferenceId;
    this.settleTunnelling(view.h245Tunnelling);
    this.learnH245Address(view.h245Address);
    if (!this.fastStartSettled && view.fastStart.length) {
      this.fastStartSettled = true;
      this.emit('fast-start', view.fastStart);
    } else if (!this.fastStartSettled && view.fastConnectRefused) {
      this.fastStartSettled = true;
      this.emit('fast-start-refused');
    }
  }
}

/** Setup's Q.931 IEs (H.225.0 7.3.x): bearer capability, display, calling and called numbers. Throws Q931Error on a bad number. */
function setupIes(o: PlaceCallOptions): InformationElement[] {
  const ies: InformationElement[] = [bearerCapabilityIe(o.bearer ?? VIDEO_BEARER)];
  if (o.displayName) ies.push(displayIe(o.displayName));
  if (o.callingNumber) ies.push(callingPartyNumberIe({ digits: o.callingNumber }));
  if (o.calledNumber) ies.push(calledPartyNumberIe({ digits: o.calledNumber }));
  return ies;
}

/** The Setup-UUIE builder for these options. */
function setupMessage(o: PlaceCallOptions, callId: Uint8Array, conferenceId: Uint8Array, local: IpPort | undefined) {
  setupIes(o); // validates the numbers too
  return (p: PduOptions) => setup({
    ...p,
    callId,
    conferenceId,
    ...(o.callingAliases?.length ? { source: o.callingAliases } : {}),
    ...(o.calledAliases?.length ? { destination: o.calledAliases } : {}),
    ...(isIPv4(o.address) ? { destCallSignalAddress: { ip: o.address, port: o.port ?? 1720 } } : {}),
    ...(local ? { sourceCallSignalAddress: local } : {}),
    ...(o.displayName ? { displayName: o.displayName } : {}),
    ...(o.fastStart?.length ? { fastStart: o.fastStart } : {}),
    ...(o.h245Address ? { h245Address: o.h245Address } : {}),
  });
}

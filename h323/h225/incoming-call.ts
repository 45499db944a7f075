// The called side of an H.323 call (H.225.0 8.1, Q.931 5.2 as H.225.0 profiles it):
// Setup received (state 6) → CallProceeding (9) → Alerting (7) → Connect (10), or
// ReleaseComplete with a cause and ReleaseCompleteReason. fastStart answers (H.323 8.1.7) and the
// H.245 tunnel or address ride in whichever answer the application sends.
import {
  bearerCapabilityIe, displayIe, findIe, IeId, MessageType, parseBearerCapability, parseCalledPartyNumber,
  parseCallingPartyNumber, parseDisplay, progressIndicatorIe, VIDEO_BEARER, type BearerCapability, type InformationElement,
} from '../q931/index.ts';
import {
  alerting, callProceeding, connect, progress, readAlias, readH225Address, type Alias, type Fields, type IpPort, type ReleaseReason,
} from '../asn1/index.ts';
import { CallState, H225StateError, H323Call, type CallContext } from './call.ts';
import { calledMeeting } from './called-meeting.ts';
import type { H225Message } from './signalling-connection.ts';

/** What the caller's Setup said. */
export interface IncomingSetup {
  /** Q.931 called party number digits. */
  calledNumber?: string;
  callingNumber?: string;
  /** Display IE, else the Setup-UUIE displayName. */
  displayName?: string;
  /** Setup-UUIE destinationAddress (what was dialled), in order. */
  destinationAliases: Alias[];
  /** Setup-UUIE sourceAddress. */
  sourceAliases: Alias[];
  destCallSignalAddress?: IpPort;
  bearer?: BearerCapability;
  /** Proposed OpenLogicalChannel structures, PER-encoded, in the caller's order (H.323 8.1.7). */
  fastStart: Uint8Array[];
  /** The caller offers to tunnel H.245 (H.323 8.2.1). */
  h245Tunnelling: boolean;
  /** The caller's separate H.245 listener, when it gave one. */
  h245Address?: IpPort;
}

/** What an answer (CallProceeding, Alerting, Connect) may carry. */
export interface AnswerOptions {
  /**
   * The accepted subset of `setup.fastStart` (and the reverse OLCs we open), PER-encoded
   * OpenLogicalChannel each. `[]` refuses fastStart (fastConnectRefused). Only the first answer
   * that carries either counts (H.323 8.1.7.1).
   */
  fastStart?: Uint8Array[];
  /** Our separate H.245 listener. */
  h245Address?: IpPort;
}

export interface IncomingCallOptions {
  /** Accept the caller's H.245 tunnelling offer. Default true. */
  tunnelling: boolean;
}

export class IncomingH323Call extends H323Call {
  readonly setup: IncomingSetup;
  private fastStartAnswered = false;

  constructor(ctx: CallContext, setupMsg: H225Message, o: IncomingCallOptions) {
    const setup = readSetup(setupMsg);
    const view = setupMsg.view!;
    super(ctx, {
      callIdentifier: view.callId ?? new Uint8Array(16),
      conferenceId: view.conferenceId ?? new Uint8Array(16),
      state: CallState.callPresent,
      // H.323 8.2.1: we tunnel when the caller offers it and we accept; our answers say so
      tunnelling: setup.h245Tunnelling && o.tunnelling ? 'on' : 'off',
    });
    this.setup = setup;
    this.conn.callReference = setupMsg.q931.callReference;
    this.conn.fromDestination = true;
    this.conn.established = true;
    if (setup.h245Address) this.learnH245Address(setup.h245Address);
    this.deliverTunnelled(setupMsg); // H.245 PDUs in the Setup itself (H.323 8.2.1), held until the app listens
  }

  /** CallProceeding (Q.931 5.2.5.2): state 6 → 9. */
  proceeding(o: AnswerOptions = {}): void {
    this.requireState('proceeding', [CallState.callPresent]);
    this.sendAnswer('callProceeding', o);
    this.setState(CallState.incomingCallProceeding);
  }

  /** Alerting (Q.931 5.2.5.3): state 6/9 → 7. */
  alert(o: AnswerOptions = {}): void {
    this.requireState('alert', [CallState.callPresent, CallState.incomingCallProceeding]);
    this.sendAnswer('alerting', o);
    this.setState(CallState.callReceived);
  }

  /** The meeting the caller dialled (see called-meeting.ts), undefined when it names none. */
  get meetingNumber(): string | undefined {
    return calledMeeting(this.setup);
  }

  /**
   * Progress (Q.931 3.1.12, H.225.0 7.3.x) with progress indicator 8 "in-band information
   * available": early media (e.g. announcements) without changing the call state.
   */
  progress(o: AnswerOptions = {}): void {
    this.requireState('progress', [CallState.callPresent, CallState.incomingCallProceeding, CallState.callReceived]);
    this.sendAnswer('progress', o);
  }

  /** Connect (Q.931 5.2.8; H.225.0 has no Connect Acknowledge): → state 10. */
  accept(o: AnswerOptions & { displayName?: string } = {}): void {
    this.requireState('accept', [CallState.callPresent, CallState.incomingCallProceeding, CallState.callReceived]);
    this.sendAnswer('connect', o);
    this.setState(CallState.active);
    this.emit('connected');
  }

  /** Refuses the call: ReleaseComplete with a Q.850 cause (e.g. 21 call rejected) and reason. */
  reject(cause: number, reason: ReleaseReason = 'destinationRejection'): void {
    this.requireState('reject', [CallState.callPresent, CallState.incomingCallProceeding, CallState.callReceived]);
    this.release(cause, reason);
  }

  protected onCallMessage(_m: H225Message): boolean {
    return false; // after Setup the caller sends only Facility/Information/Status/ReleaseComplete (handled in H323Call)
  }

  private sendAnswer(kind: 'callProceeding' | 'alerting' | 'progress' | 'connect', o: AnswerOptions & { displayName?: string }): void {
    const f: { fastStart?: Uint8Array[]; fastConnectRefused?: boolean } = {};
    if (this.setup.fastStart.length && !this.fastStartAnswered) {
      if (o.fastStart?.length) f.fastStart = o.fastStart;
      // H.323 8.1.7.1: refusal is explicit, and Connect ends the window for fastStart
      else if (o.fastStart || kind === 'connect') f.fastConnectRefused = true;
      if (f.fastStart || f.fastConnectRefused) this.fastStartAnswered = true;
    }
    const base = { callId: this.callIdentifier, ...f, ...(o.h245Address ? { h245Address: o.h245Address } : {}) };
    const type = MessageType[kind];
    const ies: InformationElement[] = [];
    if (kind === 'progress') ies.push(progressIndicatorIe(8)); // Q.931 3.1.12: mandatory in Progress
    if (kind === 'connect') {
      ies.push(bearerCapabilityIe(this.setup.bearer ?? VIDEO_BEARER));
      if (o.displayName) ies.push(displayIe(o.displayName));
    }
    this.sendMessage(type, ies, (p) => {
      if (kind === 'connect') return connect({ ...p, ...base, conferenceId: this.conferenceId, ...(o.displayName ? { displayName: o.displayName } : {}) });
      if (kind === 'progress') return progress({ ...p, ...base });
      return kind === 'alerting' ? alerting({ ...p, ...base }) : callProceeding({ ...p, ...base });
    });
  }

  private requireState(what: string, allowed: number[]): void {
    this.requireLive(what);
    if (!allowed.includes(this.stateValue)) throw new H225StateError(`${what} is not allowed in call state ${this.stateValue}`);
  }
}

/** Reads the Setup's Q.931 IEs and Setup-UUIE; a malformed optional IE is ignored (Q.931 5.8.7.2). */
function readSetup(m: H225Message): IncomingSetup {
  const body = (m.uu?.['h323-uu-pdu']['h323-message-body'].value ?? {}) as Fields;
  const view = m.view!;
  const aliases = (v: unknown) => ((v as unknown[] | undefined) ?? []).map(readAlias).filter((a): a is Alias => a !== undefined);
  const out: IncomingSetup = {
    destinationAliases: aliases(body.destinationAddress),
    sourceAliases: aliases(body.sourceAddress),
    fastStart: view.fastStart,
    h245Tunnelling: view.h245Tunnelling,
  };
  const tryIe = <T>(id: number, parse: (ie: InformationElement) => T): T | undefined => {
    const ie = findIe(m.q931, id);
    try {
      return ie ? parse(ie) : undefined;
    } catch {
      return undefined;
    }
  };
  const called = tryIe(IeId.calledPartyNumber, parseCalledPartyNumber);
  if (called?.digits) out.calledNumber = called.digits;
  const calling = tryIe(IeId.callingPartyNumber, parseCallingPartyNumber);
  if (calling?.digits) out.callingNumber = calling.digits;
  const bearer = tryIe(IeId.bearerCapability, parseBearerCapability);
  if (bearer) out.bearer = bearer;
  const display = tryIe(IeId.display, parseDisplay);
  const uuDisplay = (body.displayName as { name?: string }[] | undefined)?.[0]?.name;
  if (display || uuDisplay) out.displayName = display || uuDisplay;
  if (view.h245Address) out.h245Address = view.h245Address;
  const dcsa = readH225Address(body.destCallSignalAddress);
  if (dcsa) out.destCallSignalAddress = dcsa;
  return out;
}

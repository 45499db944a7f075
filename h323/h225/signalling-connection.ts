// One TCP connection carrying H.225.0 call signalling (H.225.0 7.2/7.3): TPKT framing (RFC 1006),
// Q.931 messages with the H323-UserInformation in the user-user IE. One call per connection
// (H.225.0 allows multipleCalls; roomgate always says FALSE, so a connection is a call).
//
// What the connection answers on its own, whatever the call is doing:
//   - StatusEnquiry → Status with cause 30 and the call state (Q.931 5.8.10, Table 4-6);
//   - a message that cannot be decoded → Status with the Q.850 cause while a call exists
//     (Q.931 5.8.6), or ReleaseComplete with that cause and a clean close before one does;
//   - lost TPKT framing → ReleaseComplete (cause 95) and close: a TCP stream cannot resynchronise;
//   - a message for another call reference → ReleaseComplete cause 81 on that reference (Q.931 5.8.3.2).
// Each such error is logged once (warn) with the call id.
import type { Socket } from 'node:net';
import {
  callStateIe, causeIe, decodeQ931, encodeQ931, encodeTpkt, findIe, IeId, MessageType, messageTypeName, parseUserUser,
  Q931Error, TpktReader, userUserIe, type InformationElement, type MessageTypeName, type Q931Message,
} from '../q931/index.ts';
import {
  decodeUserInformation, encodeUserInformation, PerDecodeError, readCallSignalling, releaseComplete, status,
  type CallSignallingView, type H323UserInformation, type PduOptions, type ReleaseReason,
} from '../asn1/index.ts';
import { typedEmitter, type Clock, type Logger, type TimerHandle } from './support.ts';

export interface H225Message {
  q931: Q931Message;
  /** Q.931 message type name, undefined for types H.225.0 does not use. */
  name: MessageTypeName | undefined;
  uu?: H323UserInformation;
  view?: CallSignallingView;
}

/** Monitoring hook: every Q.931 message sent or received, before any handling. */
export interface TraceEvent {
  direction: 'in' | 'out';
  q931: Buffer;
  /** The H323-UserInformation value encoded into (out) or decoded from (in) the user-user IE. */
  uu?: H323UserInformation;
}

export interface SignallingConnectionOptions {
  socket: Socket;
  logger: Logger;
  clock: Clock;
  /** Time the peer has to close TCP after our ReleaseComplete, ms. */
  closeLingerMs: number;
  /** Q.931 Table 4-6 call state reported in Status (0 = null). */
  callState: () => number;
  trace?: (e: TraceEvent) => void;
}

interface ConnectionEvents {
  message: (m: H225Message) => void;
  /** A message we could not read and answered ourselves (Status or ReleaseComplete). */
  'protocol-error': (cause: number, detail: string) => void;
  /** The connection itself released the call (ReleaseComplete sent) because of bad input. */
  'protocol-release': (cause: number, detail: string) => void;
  closed: (reason: string) => void;
}

/** Messages whose H.225.0 definition makes the user-user IE mandatory (H.225.0 7.2.2.x). */
const UU_MANDATORY = new Set<number>([
  MessageType.setup, MessageType.callProceeding, MessageType.alerting, MessageType.connect, MessageType.facility, MessageType.progress,
]);

const MAX_ANSWERED_ERRORS = 10;

export class SignallingConnection extends typedEmitter<ConnectionEvents>() {
  /** Our call's reference (Q.931 4.3), once Setup is sent or received. */
  callReference: number | undefined;
  /** True on the called side: the flag bit our messages carry (Q.931 4.3). */
  fromDestination = false;
  /** CallIdentifier guid, copied into the Status/ReleaseComplete we answer errors with. */
  callIdentifier: Uint8Array = new Uint8Array(16);
  /** Set by the owner once a call exists: decode errors are then answered with Status. */
  established = false;
  /** For logs. */
  callId = '-';

  private readonly reader = new TpktReader();
  private readonly socket: Socket;
  private readonly o: SignallingConnectionOptions;
  private closing = false;
  private closed = false;
  private linger: TimerHandle | undefined;
  private answeredErrors = 0;
  private socketError: string | undefined;

  constructor(o: SignallingConnectionOptions) {
    super();
    this.o = o;
    this.socket = o.socket;
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (e) => {
      this.socketError = e.message;
      this.o.logger.debug('h225 socket error', { callId: this.callId, error: e.message });
    });
    this.socket.on('close', () => this.onClosed(this.socketError ?? (this.closing ? 'closed' : 'peer closed the connection')));
  }

  get remote(): { address: string; port: number } {
    return { address: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0 };
  }

  get local(): { address: string; port: number } {
    return { address: this.socket.localAddress ?? '', port: this.socket.localPort ?? 0 };
  }

  get isClosing(): boolean {
    return this.closing || this.closed;
  }

  /** Sends one Q.931 message of our call; `uu` is PER-encoded into the user-user IE. */
  send(type: number, ies: InformationElement[], uu?: H323UserInformation, callReference = this.callReference ?? 0, fromDestination = this.fromDestination): void {
    if (this.closing || this.closed) {
      this.o.logger.debug('h225 message not sent: connection closing', { callId: this.callId, type: messageTypeName(type) });
      return;
    }
    const all = uu ? [...ies, userUserIe(encodeUserInformation(uu))] : ies;
    const bytes = encodeQ931({ callReference, fromDestination, type, ies: all });
    this.o.trace?.({ direction: 'out', q931: bytes, ...(uu ? { uu } : {}) });
    this.o.logger.debug('h225 send', { callId: this.callId, type: messageTypeName(type), octets: bytes.length });
    this.socket.write(encodeTpkt(bytes));
  }

  /**
   * ReleaseComplete with a Q.850 cause (and H.225.0 reason), then a clean close. `pdu` carries the
   * call's tunnelling flag and any last tunnelled H.245 PDUs (e.g. EndSessionCommand, H.323 8.5).
   */
  releaseAndClose(cause: number, why: string, reason?: ReleaseReason, pdu: PduOptions = {}): void {
    if (this.closing || this.closed) return;
    const uu = releaseComplete({ ...pdu, callId: this.callIdentifier, ...(reason ? { reason } : {}) });
    this.send(MessageType.releaseComplete, [causeIe({ value: cause })], uu);
    this.close(why);
  }

  /** Half-closes TCP (our FIN after what is queued) and destroys it if the peer lingers. Idempotent. */
  close(reason: string): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    this.o.logger.debug('h225 connection closing', { callId: this.callId, reason });
    this.socket.end();
    this.linger = this.o.clock.setTimer(this.o.closeLingerMs, () => this.socket.destroy());
  }

  /** Immediate teardown (no message). */
  destroy(reason: string): void {
    this.closing = true;
    this.socket.destroy();
    this.onClosed(reason);
  }

  private onClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.linger?.cancel();
    this.linger = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
    this.emit('closed', reason);
  }

  private onData(chunk: Buffer): void {
    if (this.closing || this.closed) return;
    let payloads: Buffer[];
    try {
      payloads = this.reader.push(chunk);
    } catch (e) {
      // RFC 1006 6: framing lost; no later octet can be trusted
      this.fatal(95, `TPKT framing lost: ${(e as Error).message}`);
      return;
    }
    for (const p of payloads) {
      if (this.closing || this.closed) return;
      this.onPayload(p);
    }
  }

  private onPayload(p: Buffer): void {
    let q931: Q931Message;
    try {
      q931 = decodeQ931(p);
    } catch (e) {
      this.o.trace?.({ direction: 'in', q931: p });
      this.answerError(e instanceof Q931Error ? e.q850Cause : 95, (e as Error).message);
      return;
    }
    const name = messageTypeName(q931.type);
    const msg: H225Message = { q931, name };
    let uuError: { cause: number; detail: string } | undefined;
    const uuIe = findIe(q931, IeId.userUser);
    if (uuIe) {
      try {
        msg.uu = decodeUserInformation(parseUserUser(uuIe));
        msg.view = readCallSignalling(msg.uu);
      } catch (e) {
        // H.225.0 7.2.2: undecodable user-user = invalid IE contents (Q.850 100); PerDecodeError is
        // the codec's only error, anything else is still the peer's octets, never a crash
        const kind = e instanceof Q931Error || e instanceof PerDecodeError ? '' : ' (unexpected error)';
        uuError = { cause: 100, detail: `user-user${kind}: ${(e as Error).message}` };
      }
    } else if (UU_MANDATORY.has(q931.type)) {
      uuError = { cause: 96, detail: `${name} without the user-user IE` }; // Q.850 96 mandatory IE missing
    }
    this.o.trace?.({ direction: 'in', q931: p, ...(msg.uu ? { uu: msg.uu } : {}) });
    this.o.logger.debug('h225 received', { callId: this.callId, type: name ?? q931.type });

    // Q.931 5.8.3: the call reference is checked before the message type and the IEs
    if (q931.type === MessageType.statusEnquiry && this.callReference === undefined) {
      this.sendStatus(30, q931.callReference, !q931.fromDestination); // 5.8.3.2 e: the null state
      return;
    }
    if (q931.type !== MessageType.setup && q931.type !== MessageType.releaseComplete &&
        (this.callReference === undefined || q931.callReference !== this.callReference || q931.fromDestination === this.fromDestination)) {
      // Q.931 5.8.3.2: a call reference we do not know is released; our call, if any, is untouched
      this.o.logger.warn('h225 message for an unknown call reference', { callId: this.callId, type: name, callReference: q931.callReference });
      this.emit('protocol-error', 81, `${name} for an unknown call reference`);
      this.send(MessageType.releaseComplete, [causeIe({ value: 81 })], releaseComplete({ callId: new Uint8Array(16) }), q931.callReference, !q931.fromDestination);
      if (this.callReference === undefined) this.close('message before Setup');
      return;
    }
    if (q931.type === MessageType.releaseComplete && this.callReference !== undefined && q931.callReference !== this.callReference) {
      return; // Q.931 5.8.3.2 c: ReleaseComplete for an unknown call reference: no action
    }
    if (uuError) {
      this.answerError(uuError.cause, uuError.detail, q931);
      return;
    }
    if (q931.type === MessageType.statusEnquiry) {
      // Q.931 5.8.10: Status, cause 30 "response to STATUS ENQUIRY", the current call state
      this.sendStatus(30);
      return;
    }
    if (name === undefined) {
      // Q.931 5.8.4: message type non-existent or not implemented
      this.answerError(97, `unknown message type 0x${q931.type.toString(16)}`, q931);
      return;
    }
    this.emit('message', msg);
  }

  /** Status with a cause and the call state IE (Q.931 5.8.6, 5.8.10). */
  sendStatus(cause: number, callReference = this.callReference ?? 0, fromDestination = this.fromDestination): void {
    const ies = [causeIe({ value: cause }), callStateIe(this.o.callState())];
    this.send(MessageType.status, ies, status({ callId: this.callIdentifier }), callReference, fromDestination);
  }

  private answerError(cause: number, detail: string, q931?: Q931Message): void {
    this.o.logger.warn('h225 undecodable message', { callId: this.callId, cause, detail });
    this.emit('protocol-error', cause, detail);
    if (!this.established || ++this.answeredErrors > MAX_ANSWERED_ERRORS) {
      if (this.callReference === undefined && q931) {
        this.callReference = q931.callReference;
        this.fromDestination = !q931.fromDestination;
      }
      this.releaseAndClose(cause, `protocol error: ${detail}`);
      this.emit('protocol-release', cause, detail);
      return;
    }
    this.sendStatus(cause);
  }

  private fatal(cause: number, detail: string): void {
    this.o.logger.warn('h225 connection unusable', { callId: this.callId, cause, detail });
    this.emit('protocol-error', cause, detail);
    this.releaseAndClose(cause, detail);
    this.emit('protocol-release', cause, detail);
  }
}

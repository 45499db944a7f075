// The H.245 control session of one call (H.323 8.2-8.5, H.245 8 and Annex C), over any
// H245Channel (tunnelled in H.225.0 or a separate TCP connection). It runs master/slave
// determination (MSDSE), capability exchange (CESE, T101), uni-directional logical channels
// (LCSE, T103), channel close requests (CLCSE, T108), round-trip delay (RTDSE, T105), and the
// commands/indications a gateway needs. Bidirectional channels and their master/slave conflict
// resolution are out of scope: an OLC with reverse parameters is rejected.
import {
  PerDecodeError, closeLogicalChannel, closeLogicalChannelAck, decodeH245, encodeH245, endSessionCommand, flowControlCommand,
  functionNotSupported, functionNotUnderstood, h245Kind, openLogicalChannel, openLogicalChannelAck, openLogicalChannelReject,
  readH245Address, requestChannelClose, requestChannelCloseAck, requestChannelCloseReject, requestChannelCloseRelease,
  roundTripDelayRequest, roundTripDelayResponse, terminalCapabilitySet, terminalCapabilitySetAck, terminalCapabilitySetReject,
  terminalCapabilitySetRelease, userInputAlphanumeric, userInputSignal, videoFastUpdatePicture,
  type Choice, type Fields, type H245Message, type OlcRejectCause,
} from '../asn1/index.ts';
import { readMediaCapability, readTerminalCapabilitySet, type RemoteCapabilities } from './capabilities.ts';
import type { H245Channel } from './channel.ts';
import { systemClock, type Clock, type TimerHandle } from './clock.ts';
import { TypedEmitter } from './emitter.ts';
import { ChannelRejectedError, H245TimeoutError, SessionEndedError } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import { MasterSlaveDetermination, type MsdStatus } from './master-slave.ts';
import {
  TERMINAL_TYPE_GATEWAY, type CloseRequest, type FlowControl, type H245ObserverEvents, type H245SessionEvents, type H245SessionOptions,
  type H245Timers, type IncomingChannel, type OpenChannelRequest, type OpenedChannel,
} from './session-types.ts';

const DEFAULT_TIMERS: H245Timers = {
  t101: 30_000, t103: 30_000, t105: 30_000, t106: 30_000, t108: 30_000, endSession: 5_000, endSessionAnswer: 1_000,
};

interface OutgoingLc {
  state: 'awaitingEstablishment' | 'established' | 'awaitingRelease';
  /** H.323 8.5 closes video channels before audio ones. */
  kind: 'audio' | 'video';
  t103?: TimerHandle;
  open?: { resolve: (c: OpenedChannel) => void; reject: (e: Error) => void };
  /** closeChannel() callers waiting for the release. */
  closeWaiters: (() => void)[];
}

interface Pending<T> {
  timer: TimerHandle;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export class H245Session extends TypedEmitter<H245SessionEvents> {
  readonly observer = new TypedEmitter<H245ObserverEvents>();
  private readonly channel: H245Channel;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly timers: H245Timers;
  private readonly callId: string;
  private readonly msd: MasterSlaveDetermination;
  private readonly endOnFailure: boolean;

  private outbox: H245Message[] | undefined;
  private endedReason: string | undefined;
  private endSent = false;
  private endTimer: TimerHandle | undefined;
  /** The peer's endSessionCommand came first: our channels are closing before we answer it (H.323 8.5). */
  private peerEnded = false;
  private answerTimer: TimerHandle | undefined;
  private readonly endWaiters: (() => void)[] = [];
  private warnedUndecodable = false;

  private tcsSeq = 0;
  private t101: TimerHandle | undefined;
  private remoteCaps: RemoteCapabilities | undefined;
  private ownCapsAcked = false;

  private readonly outgoing = new Map<number, OutgoingLc>();
  private readonly incoming = new Map<number, { established: boolean; token: object }>();
  private readonly closeRequests = new Map<number, Pending<boolean>>();
  private readonly pendingRemoteCloseRequests = new Set<number>();
  private rtdSeq = 0;
  private rtd: (Pending<number> & { seq: number; sentAt: number }) | undefined;

  constructor(private readonly opts: H245SessionOptions) {
    super(opts.logger);
    this.channel = opts.channel;
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.callId = opts.callId ?? '-';
    this.endOnFailure = opts.endOnProcedureFailure ?? true;
    this.msd = new MasterSlaveDetermination(opts.terminalType ?? TERMINAL_TYPE_GATEWAY, {
      clock: this.clock, t106: this.timers.t106, n100: opts.n100 ?? 3, random: opts.random ?? Math.random,
    }, {
      send: (m) => this.send(m),
      determined: (s) => {
        this.log.info('h245 master/slave determined', { callId: this.callId, status: s });
        this.emit('masterSlave', s);
      },
      failed: (reason) => this.procedureFailed('masterSlaveFailed', `master/slave determination failed: ${reason}`),
    });
    this.channel.onPdu((pdu) => this.receive(pdu));
    this.channel.onClose((reason) => this.finish(`H.245 channel closed: ${reason}`));
  }

  // ---- state ----------------------------------------------------------------------------------

  get masterSlave(): MsdStatus | undefined {
    return this.msd.result;
  }

  get remoteCapabilities(): RemoteCapabilities | undefined {
    return this.remoteCaps;
  }

  get capabilitiesAcked(): boolean {
    return this.ownCapsAcked;
  }

  get ended(): boolean {
    return this.endedReason !== undefined;
  }

  /** Timers this session holds (0 once it ended). */
  get activeTimers(): number {
    let n = (this.msd.timerRunning ? 1 : 0) + (this.t101 ? 1 : 0) + (this.endTimer ? 1 : 0) + (this.answerTimer ? 1 : 0) + (this.rtd ? 1 : 0)
      + this.closeRequests.size;
    for (const lc of this.outgoing.values()) if (lc.t103) n++;
    return n;
  }

  // ---- procedures started by the application --------------------------------------------------

  /** H.323 8.2: our TerminalCapabilitySet first, then MasterSlaveDetermination (unless the
   *  peer's determination already settled it), in one send. */
  start(): void {
    this.batch(() => {
      this.sendCapabilities();
      if (this.msd.result === undefined) this.determineMasterSlave();
    });
  }

  /** Outgoing CESE (C.3): a new sequence number, T101. */
  sendCapabilities(): void {
    if (this.ended) return;
    this.tcsSeq = (this.tcsSeq + 1) % 256;
    this.ownCapsAcked = false;
    const seq = this.tcsSeq;
    this.send(terminalCapabilitySet({
      sequenceNumber: seq, capabilities: this.opts.capabilities,
      ...(this.opts.simultaneous ? { simultaneous: this.opts.simultaneous } : {}),
    }));
    this.t101?.cancel();
    this.t101 = this.clock.setTimer(this.timers.t101, () => {
      this.t101 = undefined;
      this.send(terminalCapabilitySetRelease());
      this.procedureFailed('capabilitiesFailed', `T101 expired: no answer to TerminalCapabilitySet ${seq}`);
    });
  }

  determineMasterSlave(): void {
    if (!this.ended) this.msd.start();
  }

  /** Outgoing LCSE (C.4): OpenLogicalChannel, T103; resolves on the Ack with the peer's addresses. */
  openChannel(req: OpenChannelRequest): Promise<OpenedChannel> {
    if (this.ended) return Promise.reject(new SessionEndedError(this.endedReason!));
    if (this.peerEnded) return Promise.reject(new SessionEndedError('peer ended the session'));
    if (this.outgoing.has(req.number)) return Promise.reject(new RangeError(`logical channel ${req.number} already in use`));
    return new Promise((resolve, reject) => {
      const kind = 'framesPerPacket' in req.capability ? 'audio' : 'video';
      const lc: OutgoingLc = { state: 'awaitingEstablishment', kind, open: { resolve, reject }, closeWaiters: [] };
      this.outgoing.set(req.number, lc);
      this.send(openLogicalChannel({
        channel: req.number, media: req.capability, sessionId: req.sessionID, mediaControlChannel: req.mediaControlChannel,
        ...(req.payloadType !== undefined ? { dynamicPayloadType: req.payloadType } : {}),
      }));
      lc.t103 = this.clock.setTimer(this.timers.t103, () => {
        // C.4: T103 in AWAITING ESTABLISHMENT: CloseLogicalChannel (source lcse), released
        lc.t103 = undefined;
        this.outgoing.delete(req.number);
        this.send(closeLogicalChannel(req.number, 'lcse'));
        this.log.warn('h245 T103 expired opening a channel', { callId: this.callId, channel: req.number });
        reject(new H245TimeoutError('T103', `no answer to OpenLogicalChannel ${req.number}`));
      });
    });
  }

  /** Outgoing LCSE release: CloseLogicalChannel, T103; resolves on the Ack or on T103 expiry. */
  closeChannel(number: number): Promise<void> {
    const lc = this.outgoing.get(number);
    if (!lc || this.ended) return Promise.resolve();
    if (lc.state === 'awaitingRelease') return new Promise((resolve) => lc.closeWaiters.push(resolve));
    // C.4: release in AWAITING ESTABLISHMENT or ESTABLISHED: CloseLogicalChannel, T103, AWAITING RELEASE
    lc.t103?.cancel();
    lc.open?.reject(new ChannelRejectedError(number, 'closed before it was acknowledged'));
    lc.open = undefined;
    lc.state = 'awaitingRelease';
    this.send(closeLogicalChannel(number, 'user'));
    return new Promise((resolve) => {
      lc.closeWaiters.push(resolve);
      lc.t103 = this.clock.setTimer(this.timers.t103, () => {
        lc.t103 = undefined;
        this.releasedOutgoing(number, 'closed (T103 expired awaiting CloseLogicalChannelAck)');
      });
    });
  }

  /** Outgoing CLCSE (C.8): ask the peer to close a channel it sends to us; true if it agreed. */
  requestChannelClose(number: number): Promise<boolean> {
    if (this.ended) return Promise.reject(new SessionEndedError(this.endedReason!));
    const previous = this.closeRequests.get(number);
    if (previous) {
      previous.timer.cancel();
      previous.reject(new Error(`superseded by a new RequestChannelClose ${number}`));
    }
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(this.timers.t108, () => {
        this.closeRequests.delete(number);
        this.send(requestChannelCloseRelease(number));
        reject(new H245TimeoutError('T108', `no answer to RequestChannelClose ${number}`));
      });
      this.closeRequests.set(number, { timer, resolve, reject });
      this.send(requestChannelClose(number));
    });
  }

  /** RTDSE (H.245 8.7, C.11): resolves with the round-trip delay in ms. */
  roundTripDelay(): Promise<number> {
    if (this.ended) return Promise.reject(new SessionEndedError(this.endedReason!));
    if (this.rtd) {
      this.rtd.timer.cancel();
      this.rtd.reject(new Error('superseded by a new round-trip delay request'));
    }
    this.rtdSeq = (this.rtdSeq + 1) % 256;
    const seq = this.rtdSeq;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(this.timers.t105, () => {
        this.rtd = undefined;
        reject(new H245TimeoutError('T105', `no RoundTripDelayResponse ${seq}`));
      });
      this.rtd = { seq, sentAt: this.clock.now(), timer, resolve, reject };
      this.send(roundTripDelayRequest(seq));
    });
  }

  /** miscellaneousCommand videoFastUpdatePicture for a channel we receive. */
  sendVideoFastUpdate(channel: number): void {
    this.send(videoFastUpdatePicture(channel));
  }

  /** flowControlCommand for a channel we receive: maximumBitRate in 100 bit/s. */
  sendFlowControl(channel: number, maximumBitRate: number): void {
    this.send(flowControlCommand(channel, maximumBitRate));
  }

  sendUserInput(text: string): void {
    this.send(userInputAlphanumeric(text));
  }

  /** userInput signal: one of 0-9 # * A-D !, optional duration in ms. */
  sendUserInputSignal(signal: string, durationMs?: number): void {
    this.send(userInputSignal(signal, durationMs));
  }

  /** H.323 8.5 (phase E): endSessionCommand, wait for the peer's, then close the channel. */
  endSession(reason = 'normal'): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.endWaiters.push(resolve);
      if (this.peerEnded) return; // our answer to the peer's endSessionCommand follows the close of our channels
      if (!this.endSent) {
        this.endSent = true;
        this.send(endSessionCommand());
        this.log.info('h245 endSession sent', { callId: this.callId, reason });
      }
      this.endTimer ??= this.clock.setTimer(this.timers.endSession, () => {
        this.endTimer = undefined;
        this.finish(`${reason} (peer sent no endSessionCommand)`);
      });
      this.pendingEndReason ??= reason;
    });
  }

  private pendingEndReason: string | undefined;

  /** Ends at once without endSessionCommand: every timer cleared, the channel closed. Idempotent. */
  close(reason: string): void {
    this.finish(reason);
  }

  // ---- sending --------------------------------------------------------------------------------

  private send(msg: H245Message): void {
    if (this.ended) return;
    if (this.outbox) this.outbox.push(msg);
    else this.flush([msg]);
  }

  /** Messages sent inside `fn` leave in one channel send (one H.225.0 message when tunnelled). */
  private batch(fn: () => void): void {
    if (this.outbox) {
      fn();
      return;
    }
    this.outbox = [];
    try {
      fn();
    } finally {
      const msgs = this.outbox;
      this.outbox = undefined;
      if (msgs.length) this.flush(msgs);
    }
  }

  private flush(msgs: H245Message[]): void {
    if (this.ended && !msgs.some((m) => h245Kind(m) === 'command.endSessionCommand')) return;
    const pdus: Uint8Array[] = [];
    for (const m of msgs) {
      const bytes = encodeH245(m);
      pdus.push(bytes);
      this.log.debug('h245 tx', { callId: this.callId, kind: h245Kind(m) });
      this.observer.emit('pdu', { direction: 'out', bytes, message: m });
    }
    this.channel.send(pdus);
  }

  // ---- receiving ------------------------------------------------------------------------------

  private receive(bytes: Uint8Array): void {
    if (this.ended) return;
    let msg: H245Message;
    try {
      msg = decodeH245(bytes);
    } catch (e) {
      this.observer.emit('pdu', { direction: 'in', bytes });
      this.undecodable(bytes, e as Error);
      return;
    }
    this.observer.emit('pdu', { direction: 'in', bytes, message: msg });
    this.log.debug('h245 rx', { callId: this.callId, kind: h245Kind(msg) });
    try {
      this.batch(() => this.dispatch(msg, bytes));
    } catch (e) {
      // a defect here must not escape into the socket callback
      this.log.error('h245 failed handling a PDU', { callId: this.callId, kind: h245Kind(msg), error: (e as Error).message });
    }
  }

  private undecodable(bytes: Uint8Array, e: Error): void {
    const meta = { callId: this.callId, octets: bytes.length, error: e instanceof PerDecodeError ? e.message : String(e) };
    if (!this.warnedUndecodable) this.log.warn('h245 undecodable PDU answered with FunctionNotSupported(syntaxError)', meta);
    else this.log.debug('h245 undecodable PDU', meta);
    this.warnedUndecodable = true;
    // Not decodable, so not a request/response/command that FunctionNotUnderstood could return:
    // FunctionNotSupported(syntaxError). returnedFunction is left out: it holds a function, and
    // these octets are none (a reader decoding it as H.245 would only find garbage).
    this.send(functionNotSupported('syntaxError'));
  }

  private dispatch(msg: H245Message, bytes: Uint8Array): void {
    const inner = msg.value as Choice<string, Fields>;
    if (inner.type === '#unknown-extension' && msg.type !== 'indication') {
      // an alternative newer than our H.245 version: returned as not understood
      this.log.warn('h245 unknown message returned with FunctionNotUnderstood', { callId: this.callId, group: msg.type });
      this.send(functionNotUnderstood(msg));
      return;
    }
    const v = inner.value;
    switch (h245Kind(msg)) {
      case 'request.masterSlaveDetermination':
        return this.msd.onDetermination(v.terminalType as number, v.statusDeterminationNumber as number);
      case 'response.masterSlaveDeterminationAck':
        return this.msd.onAck((v.decision as Choice).type as MsdStatus);
      case 'response.masterSlaveDeterminationReject':
        return this.msd.onReject();
      case 'indication.masterSlaveDeterminationRelease':
        return this.msd.onRelease();
      case 'request.terminalCapabilitySet':
        return this.onTerminalCapabilitySet(v);
      case 'response.terminalCapabilitySetAck':
        return this.onTcsAnswer(v.sequenceNumber as number);
      case 'response.terminalCapabilitySetReject':
        return this.onTcsAnswer(v.sequenceNumber as number, (v.cause as Choice).type);
      case 'indication.terminalCapabilitySetRelease':
        this.log.info('h245 peer released its capability exchange', { callId: this.callId });
        return;
      case 'request.openLogicalChannel':
        return this.onOpenLogicalChannel(v);
      case 'response.openLogicalChannelAck':
        return this.onOlcAck(v);
      case 'response.openLogicalChannelReject':
        return this.onOlcReject(v.forwardLogicalChannelNumber as number, (v.cause as Choice).type);
      case 'request.closeLogicalChannel':
        return this.onCloseLogicalChannel(v.forwardLogicalChannelNumber as number);
      case 'response.closeLogicalChannelAck':
        return this.onClcAck(v.forwardLogicalChannelNumber as number);
      case 'request.requestChannelClose':
        return this.onRequestChannelClose(v.forwardLogicalChannelNumber as number);
      case 'response.requestChannelCloseAck':
      case 'response.requestChannelCloseReject':
        return this.onRccAnswer(v.forwardLogicalChannelNumber as number, inner.type === 'requestChannelCloseAck');
      case 'indication.requestChannelCloseRelease':
        this.pendingRemoteCloseRequests.delete(v.forwardLogicalChannelNumber as number);
        return;
      case 'request.roundTripDelayRequest':
        return this.send(roundTripDelayResponse(v.sequenceNumber as number));
      case 'response.roundTripDelayResponse':
        return this.onRtdResponse(v.sequenceNumber as number);
      case 'command.endSessionCommand':
        return this.onEndSession((inner.value as unknown as Choice).type);
      case 'command.miscellaneousCommand':
        return this.onMiscellaneousCommand(v);
      case 'command.flowControlCommand':
        return this.onFlowControl(v);
      case 'command.sendTerminalCapabilitySet':
        return this.sendCapabilities();
      case 'indication.userInput':
        return this.onUserInput(inner.value as unknown as Choice);
      case 'indication.functionNotUnderstood':
      case 'indication.functionNotSupported':
        return this.onPeerRefused(msg);
      default:
        if (msg.type === 'indication') {
          // indications need no answer (H.245 5.9); ones we do not use are dropped
          this.log.debug('h245 indication ignored', { callId: this.callId, kind: h245Kind(msg) });
          return;
        }
        this.log.info('h245 unsupported message answered with FunctionNotSupported', { callId: this.callId, kind: h245Kind(msg) });
        this.send(functionNotSupported('unknownFunction', bytes));
    }
  }

  // ---- capability exchange (C.3) --------------------------------------------------------------

  private onTerminalCapabilitySet(v: Fields): void {
    const seq = v.sequenceNumber as number;
    const r = readTerminalCapabilitySet(v);
    if (!r.ok) {
      this.log.warn('h245 TerminalCapabilitySet rejected', { callId: this.callId, cause: r.cause, why: r.why });
      this.send(terminalCapabilitySetReject(seq, r.cause));
      return;
    }
    this.send(terminalCapabilitySetAck(seq));
    this.remoteCaps = r.value;
    this.log.info('h245 remote capabilities', {
      callId: this.callId, codecs: r.value.capabilities.map((c) => c.codec).join(','), empty: r.value.empty,
    });
    this.emit('remoteCapabilities', r.value);
  }

  private onTcsAnswer(seq: number, rejectCause?: string): void {
    if (!this.t101 || seq !== this.tcsSeq) return; // C.3: an answer to another sequence number is ignored
    this.t101.cancel();
    this.t101 = undefined;
    if (rejectCause === undefined) {
      this.ownCapsAcked = true;
      this.emit('capabilitiesAcked');
    } else {
      this.procedureFailed('capabilitiesFailed', `TerminalCapabilitySetReject: ${rejectCause}`);
    }
  }

  // ---- logical channels (C.4) ------------------------------------------------------------------

  private onOpenLogicalChannel(v: Fields): void {
    const number = v.forwardLogicalChannelNumber as number;
    const fwd = v.forwardLogicalChannelParameters as Fields;
    const reject = (cause: OlcRejectCause, why: string) => {
      this.log.info('h245 OpenLogicalChannel rejected', { callId: this.callId, channel: number, cause, why });
      this.send(openLogicalChannelReject(number, cause));
    };
    if (this.incoming.has(number)) {
      // C.4: OLC for an existing incoming channel replaces it
      this.incoming.delete(number);
      this.emit('channelClosed', { number, direction: 'incoming', reason: 'replaced by a new OpenLogicalChannel' });
    }
    if (v.reverseLogicalChannelParameters !== undefined) return reject('unsuitableReverseParameters', 'bidirectional channels are not supported');
    const mux = fwd.multiplexParameters as Choice<string, Fields>;
    if (mux.type !== 'h2250LogicalChannelParameters') return reject('unspecified', `multiplexParameters ${mux.type}`);
    const dt = fwd.dataType as Choice<string, Choice>;
    if (dt.type === '#unknown-extension') return reject('unknownDataType', 'dataType newer than our H.245');
    const media = dt.type === 'audioData' || dt.type === 'videoData'
      ? readMediaCapability(dt.type === 'audioData' ? 'audio' : 'video', dt.value) : undefined;
    if (!media) return reject('dataTypeNotSupported', `dataType ${dt.type}/${(dt.value as Choice | null)?.type ?? ''}`);
    if (!this.opts.capabilities.some((c) => typeof c !== 'string' && c.codec === media.codec)) {
      return reject('dataTypeNotSupported', `${media.codec} is not in our capabilities`);
    }
    if (this.listenerCount('incomingChannel') === 0) return reject('unspecified', 'no application to take the channel');
    const token = {};
    this.incoming.set(number, { established: false, token });
    const live = () => !this.ended && this.incoming.get(number)?.token === token && !this.incoming.get(number)!.established;
    const h2250 = mux.value;
    const control = readH245Address(h2250.mediaControlChannel);
    const req: IncomingChannel = {
      number, media, sessionID: h2250.sessionID as number,
      ...(control ? { mediaControlChannel: control } : {}),
      ...(h2250.dynamicRTPPayloadType !== undefined ? { payloadType: h2250.dynamicRTPPayloadType as number } : {}),
      accept: (a) => {
        if (!live()) return false;
        this.incoming.get(number)!.established = true;
        this.send(openLogicalChannelAck({ channel: number, sessionId: h2250.sessionID as number, mediaChannel: a.mediaChannel, mediaControlChannel: a.mediaControlChannel }));
        return true;
      },
      reject: (cause = 'unspecified') => {
        if (!live()) return false;
        this.incoming.delete(number);
        reject(cause, 'refused by the application');
        return true;
      },
    };
    this.emit('incomingChannel', req);
  }

  private onCloseLogicalChannel(number: number): void {
    // C.4: CloseLogicalChannelAck in every state of the incoming LCSE
    this.send(closeLogicalChannelAck(number));
    if (this.incoming.delete(number)) {
      this.emit('channelClosed', { number, direction: 'incoming', reason: 'closed by the peer' });
    }
  }

  private onOlcAck(v: Fields): void {
    const number = v.forwardLogicalChannelNumber as number;
    const lc = this.outgoing.get(number);
    if (!lc || lc.state !== 'awaitingEstablishment') return; // C.4: ignored in other states
    lc.t103?.cancel();
    lc.t103 = undefined;
    lc.state = 'established';
    const ack = (v.forwardMultiplexAckParameters as Choice<string, Fields> | undefined)?.value;
    const mediaChannel = readH245Address(ack?.mediaChannel);
    const mediaControlChannel = readH245Address(ack?.mediaControlChannel);
    const open = lc.open;
    lc.open = undefined;
    open?.resolve({ number, ...(mediaChannel ? { mediaChannel } : {}), ...(mediaControlChannel ? { mediaControlChannel } : {}) });
  }

  private onOlcReject(number: number, cause: string): void {
    const lc = this.outgoing.get(number);
    if (!lc) return;
    if (lc.state === 'awaitingEstablishment') {
      lc.t103?.cancel();
      this.outgoing.delete(number);
      lc.open?.reject(new ChannelRejectedError(number, cause));
    } else {
      // C.4: a reject of an established channel (or during release) releases it
      this.releasedOutgoing(number, `OpenLogicalChannelReject (${cause})`);
    }
  }

  private onClcAck(number: number): void {
    const lc = this.outgoing.get(number);
    if (lc?.state === 'awaitingRelease') this.releasedOutgoing(number, 'closed');
  }

  private releasedOutgoing(number: number, reason: string): void {
    const lc = this.outgoing.get(number);
    if (!lc) return;
    lc.t103?.cancel();
    this.outgoing.delete(number);
    for (const w of lc.closeWaiters.splice(0)) w();
    this.emit('channelClosed', { number, direction: 'outgoing', reason });
    if (this.answerTimer && this.outgoing.size === 0) this.answerEndSession();
  }

  // ---- channel close requests (C.8) -------------------------------------------------------------

  private onRequestChannelClose(number: number): void {
    const lc = this.outgoing.get(number);
    if (!lc || lc.state === 'awaitingRelease') {
      this.send(requestChannelCloseReject(number));
      return;
    }
    this.pendingRemoteCloseRequests.add(number);
    const answer = (yes: boolean) => {
      if (this.ended || !this.pendingRemoteCloseRequests.delete(number)) return;
      this.batch(() => {
        if (!yes) {
          this.send(requestChannelCloseReject(number));
          return;
        }
        this.send(requestChannelCloseAck(number));
        void this.closeChannel(number);
      });
    };
    const req: CloseRequest = { number, accept: () => answer(true), reject: () => answer(false) };
    if (!this.emit('closeRequested', req)) req.accept();
  }

  private onRccAnswer(number: number, accepted: boolean): void {
    const p = this.closeRequests.get(number);
    if (!p) return;
    p.timer.cancel();
    this.closeRequests.delete(number);
    p.resolve(accepted);
  }

  // ---- maintenance, commands, indications --------------------------------------------------------

  private onRtdResponse(seq: number): void {
    if (!this.rtd || this.rtd.seq !== seq) return; // C.11: other sequence numbers are ignored
    const r = this.rtd;
    this.rtd = undefined;
    r.timer.cancel();
    r.resolve(this.clock.now() - r.sentAt);
  }

  private onEndSession(kind: string): void {
    this.log.info('h245 endSessionCommand received', { callId: this.callId, kind });
    if (this.endSent) {
      // H.323 8.5 step 5: the answer to ours
      this.flushOutbox();
      this.finish(this.pendingEndReason ?? 'normal');
      return;
    }
    if (this.peerEnded) return; // a repeated endSessionCommand while our channels close
    this.peerEnded = true;
    // H.323 8.5: "An endpoint receiving endSessionCommand without first having transmitted it shall
    // carry out steps 1) to 6) above, except that in step 5) it shall not wait for the
    // endSessionCommand from the first endpoint": our channels closed (C.4) before our answer.
    if (this.outgoing.size === 0 || this.channel.canSend === false) {
      // nothing to close, or nothing can reach the peer any more (its ReleaseComplete carried the command)
      this.answerEndSession();
      return;
    }
    const rank = (lc: OutgoingLc) => (lc.kind === 'video' ? 0 : 1); // H.323 8.5 steps 1-3: video, then audio
    const closing = [...this.outgoing].sort(([, a], [, b]) => rank(a) - rank(b)).map(([n]) => n);
    this.log.info('h245 closing our channels before answering endSessionCommand', { callId: this.callId, channels: closing });
    this.answerTimer = this.clock.setTimer(this.timers.endSessionAnswer, () => {
      this.answerTimer = undefined;
      this.log.info('h245 no CloseLogicalChannelAck in time: answering endSessionCommand anyway', {
        callId: this.callId, channels: [...this.outgoing.keys()], waitedMs: this.timers.endSessionAnswer,
      });
      this.answerEndSession();
    });
    // inside receive(): the CloseLogicalChannels leave in one batch (one Facility when tunnelled);
    // a channel already awaiting release is only waited for
    for (const n of closing) void this.closeChannel(n);
  }

  /** H.323 8.5 step 4 after the peer's endSessionCommand: ours (unless nothing can reach the peer), then the end. */
  private answerEndSession(): void {
    this.answerTimer?.cancel();
    this.answerTimer = undefined;
    if (this.channel.canSend !== false) {
      this.endSent = true;
      this.send(endSessionCommand());
      this.flushOutbox(); // before finish() closes the channel
    }
    this.finish('peer ended the session');
  }

  /** Sends what the current batch holds now (finish() closes the channel before the batch ends). */
  private flushOutbox(): void {
    const msgs = this.outbox;
    if (msgs?.length) {
      this.outbox = [];
      this.flush(msgs);
    }
  }

  private onMiscellaneousCommand(v: Fields): void {
    const type = (v.type as Choice).type;
    const channel = v.logicalChannelNumber as number;
    if (type === 'videoFastUpdatePicture') {
      this.emit('videoFastUpdate', channel);
      return;
    }
    this.log.debug('h245 miscellaneousCommand ignored', { callId: this.callId, type, channel });
  }

  private onFlowControl(v: Fields): void {
    const scope = v.scope as Choice;
    const restriction = v.restriction as Choice;
    this.emit('flowControl', {
      scope: scope.type as FlowControl['scope'],
      ...(scope.type === 'logicalChannelNumber' ? { channel: scope.value as number } : {}),
      ...(restriction.type === 'maximumBitRate' ? { maximumBitRate: restriction.value as number } : {}),
    });
  }

  private onUserInput(ui: Choice): void {
    if (ui.type === 'alphanumeric') {
      this.emit('userInput', { kind: 'alphanumeric', text: ui.value as string });
    } else if (ui.type === 'extendedAlphanumeric') {
      this.emit('userInput', { kind: 'alphanumeric', text: (ui.value as Fields).alphanumeric as string });
    } else if (ui.type === 'signal') {
      const s = ui.value as Fields;
      this.emit('userInput', { kind: 'signal', signal: s.signalType as string, ...(s.duration !== undefined ? { durationMs: s.duration as number } : {}) });
    } else if (ui.type === 'signalUpdate') {
      this.emit('userInput', { kind: 'signalUpdate', durationMs: (ui.value as Fields).duration as number });
    } else {
      this.log.debug('h245 userInput ignored', { callId: this.callId, type: ui.type });
    }
  }

  private onPeerRefused(msg: H245Message): void {
    const inner = msg.value.value as Choice<string, Choice> | Fields;
    const what = msg.value.type === 'functionNotUnderstood'
      ? `FunctionNotUnderstood(${(inner as Choice<string, Choice>).type}.${(inner as Choice<string, Choice>).value.type})`
      : `FunctionNotSupported(${((inner as Fields).cause as Choice).type})`;
    this.log.warn('h245 peer refused a message', { callId: this.callId, what });
    this.emit('peerRefused', what);
  }

  // ---- ending --------------------------------------------------------------------------------------

  private procedureFailed(event: 'masterSlaveFailed' | 'capabilitiesFailed', reason: string): void {
    this.log.warn('h245 procedure failed', { callId: this.callId, reason });
    this.emit(event, reason);
    if (this.endOnFailure && !this.ended) void this.endSession(reason);
  }

  /** The one path every end takes: timers cleared, pending requests rejected, channel closed. */
  private finish(reason: string): void {
    if (this.endedReason !== undefined) return;
    this.endedReason = reason;
    this.msd.stop();
    this.t101?.cancel();
    this.t101 = undefined;
    this.endTimer?.cancel();
    this.endTimer = undefined;
    this.answerTimer?.cancel();
    this.answerTimer = undefined;
    const ended = new SessionEndedError(reason);
    for (const [, lc] of this.outgoing) {
      lc.t103?.cancel();
      lc.open?.reject(ended);
      for (const w of lc.closeWaiters.splice(0)) w();
    }
    this.outgoing.clear();
    this.incoming.clear();
    for (const [, p] of this.closeRequests) {
      p.timer.cancel();
      p.reject(ended);
    }
    this.closeRequests.clear();
    this.pendingRemoteCloseRequests.clear();
    if (this.rtd) {
      this.rtd.timer.cancel();
      this.rtd.reject(ended);
      this.rtd = undefined;
    }
    this.channel.close(reason);
    for (const w of this.endWaiters.splice(0)) w();
    this.log.info('h245 session ended', { callId: this.callId, reason });
    this.emit('ended', reason);
  }
}

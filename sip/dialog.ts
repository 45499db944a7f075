/**
 * A confirmed INVITE dialog, UAS or UAC side (RFC 3261 12, 13.3.1.4, 14, 15; RFC 6086), with
 * re-INVITE/UPDATE offer/answer (RFC 3311, RFC 6337), 491 glare and session timers (RFC 4028).
 */
import { AckWaiter } from './ack-waiter.ts';
import type { TimerHandle } from './clock.ts';
import { dialogId, type UaCore } from './core.ts';
import { SipFailure } from './errors.ts';
import { formatNameAddr, parseNameAddr, parseSipUri } from './grammar.ts';
import { createResponse, SipRequest, type SipResponse } from './message.ts';
import { OfferAnswer } from './session/offer-answer.ts';
import { answerDirection, directionOf, withDirection } from './session/sdp-direction.ts';
import { decideAsUas, parseSessionExpires, RFC_MIN_SE, SessionTimer, uasResponseHeaders } from './session/session-timer.ts';
import type { ServerTransaction } from './transaction/types.ts';
import type { Endpoint, TransportName } from './transport.ts';
import { typedEmitter } from './typed-emitter.ts';

export type TerminatedBy = 'remote' | 'local' | 'timeout';

export interface DialogEvents {
  info: (req: SipRequest, respond: (status: number) => void) => void;
  reinvite: (offerSdp: string | undefined, respond: (status: number, sdp?: string) => void) => void;
  /** RFC 3311: UPDATE from the peer; without a listener an offer is answered with the current local SDP. */
  update: (offerSdp: string | undefined, respond: (status: number, sdp?: string) => void) => void;
  /** The remote SDP changed (answer to our offer, or an offer we answered). Monitoring aid. */
  'remote-sdp': (sdp: string) => void;
  /** A session refresh (RFC 4028 10) succeeded, sent by us ('local') or answered by us ('remote'). */
  'session-refreshed': (by: 'local' | 'remote') => void;
  terminated: (why: { by: TerminatedBy; reason?: string }) => void;
}

/** The dialog state of RFC 3261 12.1: identifiers, sequence numbers, target and route set. */
export interface DialogState {
  callId: string;
  localTag: string;
  remoteTag: string;
  /** From header value we send (name-addr with our tag). */
  localUri: string;
  /** To header value we send (name-addr with the remote tag). */
  remoteUri: string;
  localSeq: number;
  remoteSeq?: number;
  remoteTarget: string;
  /** Route set in the order Route headers are written (RFC 3261 12.1.1 / 12.1.2). */
  routeSet: string[];
  transport: TransportName;
  localSdp?: string;
  remoteSdp?: string;
  /** RFC 3261 14.1: whether we generated the Call-ID (we were the UAC), for 491 retry timing. */
  ownsCallId?: boolean;
  /** Methods the peer listed in Allow (RFC 3261 20.5); decides UPDATE vs re-INVITE refreshes. */
  peerAllows?: string[];
}

/** Outcome of a re-INVITE or UPDATE we sent. */
export interface ModifyResult {
  status: number;
  /** The answer SDP (or, after a re-INVITE without SDP, the peer's offer we answered in the ACK). */
  sdp?: string;
}

/** At most this many 491 retries of one modification (RFC 3261 14.1 sets no limit). */
const MAX_GLARE_RETRIES = 3;

export class Dialog extends typedEmitter<DialogEvents>() {
  readonly id: string;
  /** SDP of the 2xx answering our INVITE (UAC side). */
  answerSdp?: string;
  /** Set by the UAS while its initial 2xx waits for the ACK (RFC 3261 13.3.1.4). */
  onInitialAck?: (ack: SipRequest) => void;
  /** Offer/answer state of the session (RFC 3264, RFC 6337). */
  readonly offerAnswer = new OfferAnswer();
  private terminatedWhy?: { by: TerminatedBy; reason?: string };
  private reinviteWaiter?: AckWaiter;
  /** A re-INVITE from the peer is being answered (RFC 3261 14.2). */
  private serverInvitePending = false;
  /** Our own re-INVITE is in progress (RFC 3261 14.1). */
  private clientInvitePending = false;
  /** Our 2xx to a re-INVITE without SDP carried an offer; the ACK brings the answer. */
  private offerInReinvite2xx = false;
  private readonly sessionTimer: SessionTimer;

  constructor(private readonly core: UaCore, readonly state: DialogState) {
    super();
    this.id = dialogId(state.callId, state.localTag, state.remoteTag);
    this.sessionTimer = new SessionTimer(core.clock, {
      refresh: () => this.refreshSession(),
      // RFC 4028 10: no refresh before the session expired → BYE.
      expire: () => this.byeAndForget({ by: 'timeout', reason: 'session timer expired (RFC 4028 10)' }),
    });
  }

  get callId(): string { return this.state.callId; }
  get localTag(): string { return this.state.localTag; }
  get remoteTag(): string { return this.state.remoteTag; }
  get remoteSdp(): string | undefined { return this.state.remoteSdp; }
  get localSdp(): string | undefined { return this.state.localSdp; }
  get terminated(): boolean { return this.terminatedWhy !== undefined; }
  /** The negotiated session interval in seconds and whether we refresh, once a timer runs. */
  get session(): { seconds: number; weRefresh: boolean } | undefined {
    return this.sessionTimer.running ? { seconds: this.sessionTimer.seconds, weRefresh: this.sessionTimer.weRefresh } : undefined;
  }

  /** RFC 4028 10: (re)starts the session timer after a 2xx that carried Session-Expires. */
  startSessionTimer(seconds: number, weRefresh: boolean): void {
    if (!this.terminated) this.sessionTimer.start(seconds, weRefresh);
  }

  /** RFC 3261 12.2.1.1: builds a request within the dialog. */
  createRequest(method: string, cseq?: number): SipRequest {
    const s = this.state;
    let uri = s.remoteTarget;
    const routes = [...s.routeSet];
    if (routes.length > 0 && !isLooseRoute(routes[0])) {
      // Strict routing: first route becomes the Request-URI, remote target the last Route.
      uri = parseNameAddr(routes.shift()!).uri;
      routes.push(`<${s.remoteTarget}>`);
    }
    const req = new SipRequest(method, uri);
    this.core.addVia(req, s.transport);
    for (const r of routes) req.headers.append('Route', r);
    req.headers.append('Max-Forwards', '70');
    req.headers.append('From', s.localUri);
    req.headers.append('To', s.remoteUri);
    req.headers.append('Call-ID', s.callId);
    const seq = cseq ?? ++s.localSeq;
    req.headers.append('CSeq', `${seq} ${method}`);
    // RFC 3261 12.2.1.1 / RFC 3311 5.1: target-refresh requests carry our Contact.
    if (method === 'INVITE' || method === 'UPDATE') req.headers.append('Contact', `<${this.core.contactUri(s.transport)}>`);
    this.core.decorate(req);
    return req;
  }

  /** The next hop of in-dialog requests: first Route, else the remote target (RFC 3261 8.1.2). */
  nextHop(): Promise<Endpoint> {
    const first = this.state.routeSet[0];
    const uri = first === undefined ? this.state.remoteTarget : parseNameAddr(first).uri;
    return this.core.resolveTarget(uri, this.state.transport);
  }

  /** Sends an in-dialog non-INVITE request; resolves with the final response (or 408/503 locally). */
  private async exchange(method: string, build?: (req: SipRequest) => void): Promise<SipResponse | number> {
    const req = this.createRequest(method);
    build?.(req);
    const dest = await this.nextHop();
    return new Promise<SipResponse | number>((resolve) => {
      this.core.sendRequest(req, dest, {
        onResponse: (res: SipResponse) => { if (res.status >= 200) resolve(res); },
        onTimeout: () => resolve(408),
        onTransportError: () => resolve(503),
      });
    });
  }

  private async request(method: string, build?: (req: SipRequest) => void): Promise<number> {
    const r = await this.exchange(method, build);
    return typeof r === 'number' ? r : r.status;
  }

  /** RFC 6086: INFO within the dialog; resolves with the final status. */
  info(contentType: string, body: string): Promise<number> {
    if (this.terminated) return Promise.reject(new SipFailure(481, 'Dialog terminated'));
    return this.request('INFO', (req) => req.setBody(contentType, body));
  }

  /** RFC 3262 4: PRACK within an early dialog; resolves with the final status. */
  prack(rack: string): Promise<number> {
    return this.request('PRACK', (req) => req.headers.append('RAck', rack));
  }

  /**
   * Sends a new offer (or, with INVITE and no `sdp`, asks the peer for one: RFC 3261 14.1) by
   * re-INVITE or UPDATE (RFC 3311). Retries after 491 with the RFC 3261 14.1 timers. Rejects with
   * SipFailure on a final non-2xx; the session then stays as it was (RFC 3261 14.1), except 408/481
   * end the dialog (RFC 3261 12.2.1.2).
   */
  async modify(opts: { sdp?: string; method?: 'INVITE' | 'UPDATE'; headers?: Record<string, string> } = {}): Promise<ModifyResult> {
    const method = opts.method ?? 'INVITE';
    for (let attempt = 0; ; attempt++) {
      if (this.terminated) throw new SipFailure(481, 'Dialog terminated');
      if (!this.offerAnswer.canOffer || this.clientInvitePending || this.serverInvitePending) {
        throw new SipFailure(491, 'Request Pending (an offer or INVITE is already outstanding)');
      }
      const res = method === 'INVITE' ? await this.sendReinvite(opts.sdp, opts.headers) : await this.sendUpdate(opts.sdp, opts.headers);
      if (res.status < 300) return res;
      if (res.status === 491 && attempt < MAX_GLARE_RETRIES) {
        await this.glareWait();
        continue;
      }
      if (res.status === 408 || res.status === 481) this.byeAndForget({ by: 'timeout', reason: `${method} got ${res.status}` });
      throw new SipFailure(res.status, `${method} failed`);
    }
  }

  /** Hold: re-offer our media as `sendonly` (RFC 3264 8.4). A failed hold leaves the call up. */
  hold(method: 'INVITE' | 'UPDATE' = 'INVITE'): Promise<ModifyResult> {
    if (!this.state.localSdp) return Promise.reject(new SipFailure(488, 'no local SDP to hold'));
    return this.modify({ sdp: withDirection(this.state.localSdp, 'sendonly'), method });
  }

  /** Resume: re-offer `sendrecv` (RFC 3264 8.4). */
  resume(method: 'INVITE' | 'UPDATE' = 'INVITE'): Promise<ModifyResult> {
    if (!this.state.localSdp) return Promise.reject(new SipFailure(488, 'no local SDP to resume'));
    return this.modify({ sdp: withDirection(this.state.localSdp, 'sendrecv'), method });
  }

  /**
   * RFC 3261 14.1: after a 491, the Call-ID owner waits 2.1-4 s, the other side 0-2 s (10 ms units).
   * DEVIATION(RFC 3261 14.1): the ranges scale with T1/500 ms, so stacks with lowered T1 (tests)
   * retry sooner; with the default T1 they are the RFC's.
   */
  private glareWait(): Promise<void> {
    const scale = this.core.timers.t1 / 500;
    const tenMs = this.state.ownsCallId ? 210 + Math.floor(Math.random() * 191) : Math.floor(Math.random() * 201);
    return new Promise((resolve) => this.core.clock.setTimer(tenMs * 10 * scale, resolve));
  }

  /** Session-Expires for a refresh we send (RFC 4028 7.4: we stay the refresher). */
  private sessionHeaders(req: SipRequest): void {
    if (!this.sessionTimer.running) return;
    req.headers.set('Session-Expires', `${this.sessionTimer.seconds};refresher=uac`);
    req.headers.set('Supported', 'timer');
  }

  private async sendReinvite(sdp: string | undefined, headers?: Record<string, string>): Promise<ModifyResult> {
    this.clientInvitePending = true;
    if (sdp !== undefined) this.offerAnswer.localOffer();
    const req = this.createRequest('INVITE');
    this.sessionHeaders(req);
    for (const [k, v] of Object.entries(headers ?? {})) req.headers.set(k, v);
    if (sdp !== undefined) req.setBody('application/sdp', sdp);
    let dest: Endpoint;
    try {
      dest = await this.nextHop();
    } catch {
      this.clientInvitePending = false;
      this.offerAnswer.settle();
      return { status: 503 };
    }
    const res = await new Promise<SipResponse | number>((resolve) => {
      let ack: SipRequest | undefined;
      this.core.sendRequest(req, dest, {
        onResponse: (r: SipResponse) => {
          if (r.status < 200) return;
          if (r.status < 300) {
            // RFC 3261 13.2.2.4: ACK every 2xx (retransmissions too), built in the dialog.
            ack ??= this.buildReinviteAck(req, sdp === undefined ? r : undefined);
            this.core.sendDirect(ack, dest);
          }
          resolve(r);
        },
        onTimeout: () => resolve(408),
        onTransportError: () => resolve(503),
      });
    });
    this.clientInvitePending = false;
    this.offerAnswer.settle();
    if (typeof res === 'number') return { status: res };
    if (res.status >= 300) return { status: res.status };
    return this.acceptModifyAnswer(res, sdp);
  }

  /** ACK for a re-INVITE 2xx; when our re-INVITE had no SDP, the 2xx offer is answered here. */
  private buildReinviteAck(invite: SipRequest, offerResponse?: SipResponse): SipRequest {
    const ack = this.createRequest('ACK', invite.cseq.seq);
    if (offerResponse && sdpOf(offerResponse) && this.state.localSdp) ack.setBody('application/sdp', this.state.localSdp);
    return ack;
  }

  private async sendUpdate(sdp: string | undefined, headers?: Record<string, string>): Promise<ModifyResult> {
    if (sdp !== undefined) this.offerAnswer.localOffer();
    let res: SipResponse | number;
    try {
      res = await this.exchange('UPDATE', (req) => {
        this.sessionHeaders(req);
        for (const [k, v] of Object.entries(headers ?? {})) req.headers.set(k, v);
        if (sdp !== undefined) req.setBody('application/sdp', sdp);
      });
    } finally {
      this.offerAnswer.settle();
    }
    if (typeof res === 'number') return { status: res };
    if (res.status >= 300) return { status: res.status };
    return this.acceptModifyAnswer(res, sdp);
  }

  /** A 2xx to our re-INVITE/UPDATE: record the new SDPs, target and session interval. */
  private acceptModifyAnswer(res: SipResponse, offered: string | undefined): ModifyResult {
    const contact = res.headers.getAll('contact')[0];
    if (contact) this.state.remoteTarget = parseNameAddr(contact).uri; // RFC 3261 12.2.1.2
    const answer = sdpOf(res);
    if (offered !== undefined) this.state.localSdp = offered;
    if (answer !== undefined) this.setRemoteSdp(answer);
    // RFC 4028 7.4 / 10: the 2xx's Session-Expires restarts the timer with its refresher.
    const se = parseSessionExpires(res);
    if (se) this.startSessionTimer(se.seconds, (se.refresher ?? 'uac') === 'uac');
    return { status: res.status, sdp: answer };
  }

  private setRemoteSdp(sdp: string): void {
    if (sdp === this.state.remoteSdp) return;
    this.state.remoteSdp = sdp;
    this.emit('remote-sdp', sdp);
  }

  /** RFC 4028 10: refresh at half the interval, by UPDATE if the peer allows it, else re-INVITE. */
  private refreshSession(): void {
    const useUpdate = this.state.peerAllows?.includes('UPDATE') ?? false;
    const attempt = useUpdate
      ? this.modify({ method: 'UPDATE' })
      : this.modify({ method: 'INVITE', sdp: this.state.localSdp });
    attempt.then((r) => {
      // A 2xx without Session-Expires: the interval we asked for stands (RFC 4028 7.4).
      if (!this.session && !this.terminated) this.startSessionTimer(this.sessionTimer.seconds, true);
      this.core.logger.debug('sip session refreshed', { callId: this.callId, status: r.status });
      this.emit('session-refreshed', 'local');
    }, (err: SipFailure) => {
      this.core.logger.warn('sip session refresh failed', { callId: this.callId, status: err.status });
      // Not fatal by itself (491 while the peer modifies): the peer's refresh or our expiry decides.
      if (!this.terminated) this.startSessionTimer(this.sessionTimer.seconds, false);
    });
  }

  /** RFC 3261 15.1.1: ends the dialog; resolves once the BYE got a final response or timed out. */
  async bye(): Promise<void> {
    if (this.terminated) return;
    this.end({ by: 'local' });
    await this.request('BYE');
  }

  /** Sends an in-dialog BYE without waiting (used after an ACK timeout, RFC 3261 13.3.1.4). */
  byeAndForget(why: { by: TerminatedBy; reason?: string }): void {
    if (this.terminated) return;
    this.end(why);
    this.request('BYE').catch((err: Error) => this.core.logger.warn('sip BYE failed', { callId: this.callId, err: err.message }));
  }

  /** Handles a request the core matched to this dialog (server transaction already created). */
  receiveRequest(req: SipRequest, tx: ServerTransaction): void {
    const seq = req.cseq.seq;
    // RFC 3261 12.2.2: lower CSeq than remembered is out of order → 500.
    if (this.state.remoteSeq !== undefined && seq < this.state.remoteSeq) {
      this.respond(tx, req, 500, 'Out of order CSeq');
      return;
    }
    this.state.remoteSeq = seq;
    switch (req.method) {
      case 'BYE':
        this.respond(tx, req, 200);
        this.end({ by: 'remote' });
        return;
      case 'INFO':
        return this.receiveInfo(req, tx);
      case 'INVITE':
        return this.receiveReinvite(req, tx);
      case 'UPDATE':
        return this.receiveUpdate(req, tx);
      case 'PRACK':
        // RFC 3262 3: a PRACK after our 2xx (the reliable provisional stopped with it) is answered.
        this.respond(tx, req, 200);
        return;
      default:
        this.respond(tx, req, 405);
    }
  }

  private respond(tx: ServerTransaction, req: SipRequest, status: number, reason?: string,
    headers?: Record<string, string>): SipResponse {
    const res = createResponse(req, status, reason);
    for (const [k, v] of Object.entries(headers ?? {})) res.headers.set(k, v);
    this.core.decorate(res);
    tx.respond(res);
    return res;
  }

  /**
   * Guards a request handed to the application: if it is not answered within 64·T1 (when the
   * peer's Timer F or B has given up anyway) the stack answers 500 so no transaction is left behind.
   */
  private guard(onExpiry: () => void): TimerHandle {
    return this.core.clock.setTimer(64 * this.core.timers.t1, () => {
      this.core.logger.warn('sip in-dialog request not answered by the application', { callId: this.callId });
      onExpiry();
    });
  }

  /** RFC 6086 4.2.2: every INFO (DTMF relay, picture fast update...) reaches the app as 'info'. */
  private receiveInfo(req: SipRequest, tx: ServerTransaction): void {
    let answered = false;
    const timer = this.guard(() => respond(500));
    const respond = (status: number): void => {
      if (answered) return;
      answered = true;
      timer.cancel();
      this.respond(tx, req, status);
    };
    // RFC 6086 4.2.2: legacy INFO without Info-Package is accepted with 200 by default.
    if (this.listenerCount('info') === 0) respond(200);
    else this.emit('info', req, respond);
  }

  /**
   * Session-timer negotiation on a refresh from the peer (RFC 4028 8/9). Returns the headers for
   * our 2xx, or undefined after answering 422 (RFC 4028 8.1).
   */
  private negotiateSessionTimer(req: SipRequest, tx: ServerTransaction): Record<string, string> | undefined | false {
    const d = decideAsUas(req, this.core.minSessionExpires ?? RFC_MIN_SE);
    if (d.kind === 'too-small') {
      this.respond(tx, req, 422, undefined, { 'Min-SE': String(d.minSe) });
      return false;
    }
    if (d.kind === 'none') return undefined;
    return uasResponseHeaders(d);
  }

  /** RFC 4028 9: a 2xx we sent with Session-Expires restarts the timer. */
  private restartFromOurHeaders(h: Record<string, string> | undefined): void {
    const se = h?.['Session-Expires'];
    if (!se) return;
    const [secs, param] = se.split(';');
    this.startSessionTimer(Number(secs), param === 'refresher=uas');
    this.emit('session-refreshed', 'remote');
  }

  /** RFC 3261 14.2: a re-INVITE; without a listener, answered 200 with the current local SDP. */
  private receiveReinvite(req: SipRequest, tx: ServerTransaction): void {
    if (this.reinviteWaiter?.pending || this.serverInvitePending) {
      this.respond(tx, req, 500, 'Previous INVITE pending', { 'Retry-After': String(Math.floor(Math.random() * 11)) });
      return;
    }
    const offer = sdpOf(req);
    // RFC 3261 14.2 glare: our INVITE or offer is outstanding → 491.
    if (this.clientInvitePending || (offer !== undefined && this.offerAnswer.state === 'local-offer')) {
      this.respond(tx, req, 491);
      return;
    }
    if (offer !== undefined && this.offerAnswer.state === 'remote-offer') {
      // RFC 6337 3.1: the peer's previous offer (an UPDATE) is still unanswered.
      this.respond(tx, req, 500, undefined, { 'Retry-After': String(Math.floor(Math.random() * 11)) });
      return;
    }
    const timerHeaders = this.negotiateSessionTimer(req, tx);
    if (timerHeaders === false) return;
    const contact = req.headers.getAll('contact')[0];
    if (contact) this.state.remoteTarget = parseNameAddr(contact).uri; // RFC 3261 12.2.2
    this.serverInvitePending = true;
    if (offer !== undefined) this.offerAnswer.remoteOffer();
    let answered = false;
    const timer = this.guard(() => respond(500));
    const respond = (status: number, sdp?: string): void => {
      if (answered) return;
      answered = true;
      timer.cancel();
      if (this.terminated) status = 487; // the dialog ended meanwhile: the transaction still gets a final answer
      this.serverInvitePending = false;
      this.offerAnswer.settle();
      // RFC 3261 14.2: a rejected re-INVITE leaves the session as it was; the call stays up.
      if (status >= 300 || status < 200) { this.respond(tx, req, status < 200 ? 500 : status); return; }
      if (offer !== undefined) this.setRemoteSdp(offer);
      if (sdp !== undefined) this.state.localSdp = sdp;
      // RFC 3264 / RFC 6337: a re-INVITE without SDP makes our 2xx an offer; the ACK answers.
      this.offerInReinvite2xx = offer === undefined;
      if (this.offerInReinvite2xx) this.offerAnswer.localOffer();
      this.sendReinvite2xx(req, tx, status, timerHeaders);
      this.restartFromOurHeaders(timerHeaders);
    };
    if (this.listenerCount('reinvite') === 0) respond(200, this.defaultAnswer(offer));
    else this.emit('reinvite', offer, respond);
  }

  /**
   * Without an application listener: the current local SDP, its direction mirroring the offer's
   * (RFC 3264 6.1: sendonly → recvonly, inactive → inactive), so a hold is answered correctly.
   */
  private defaultAnswer(offer: string | undefined): string | undefined {
    const local = this.state.localSdp;
    if (offer === undefined || local === undefined) return local;
    const wanted = answerDirection(directionOf(offer));
    return directionOf(local) === wanted ? local : withDirection(local, wanted);
  }

  private sendReinvite2xx(req: SipRequest, tx: ServerTransaction, status: number, extra?: Record<string, string>): void {
    const res = createResponse(req, status);
    res.headers.append('Contact', `<${this.core.contactUri(this.state.transport)}>`);
    for (const [k, v] of Object.entries(extra ?? {})) res.headers.set(k, v);
    if (this.state.localSdp) res.setBody('application/sdp', this.state.localSdp);
    this.core.decorate(res);
    tx.respond(res);
    this.reinviteWaiter = new AckWaiter(this.core.clock, this.core.timers, () => tx.respond(res),
      () => this.byeAndForget({ by: 'timeout', reason: 'no ACK for re-INVITE 2xx' }));
  }

  /**
   * RFC 3311 5.2: UPDATE. An offer while ours is outstanding → 491; while the peer's previous one
   * is unanswered → 500 with Retry-After. Without a listener an offer is answered with our SDP.
   */
  private receiveUpdate(req: SipRequest, tx: ServerTransaction): void {
    const offer = sdpOf(req);
    if (offer !== undefined && this.offerAnswer.state === 'local-offer') return void this.respond(tx, req, 491);
    if (offer !== undefined && this.offerAnswer.state === 'remote-offer') {
      return void this.respond(tx, req, 500, undefined, { 'Retry-After': String(Math.floor(Math.random() * 11)) });
    }
    const timerHeaders = this.negotiateSessionTimer(req, tx);
    if (timerHeaders === false) return;
    const contact = req.headers.getAll('contact')[0];
    if (contact) this.state.remoteTarget = parseNameAddr(contact).uri; // RFC 3311 5.2: target refresh
    if (offer !== undefined) this.offerAnswer.remoteOffer();
    let answered = false;
    const timer = this.guard(() => respond(500));
    const respond = (status: number, sdp?: string): void => {
      if (answered) return;
      answered = true;
      timer.cancel();
      if (this.terminated) status = 487; // the dialog ended meanwhile: the transaction still gets a final answer
      this.offerAnswer.settle();
      if (status >= 300 || status < 200) { this.respond(tx, req, status < 200 ? 500 : status); return; }
      if (offer !== undefined) this.setRemoteSdp(offer);
      if (sdp !== undefined) this.state.localSdp = sdp;
      const res = createResponse(req, status);
      res.headers.append('Contact', `<${this.core.contactUri(this.state.transport)}>`);
      for (const [k, v] of Object.entries(timerHeaders ?? {})) res.headers.set(k, v);
      // RFC 3311 5.2: the 2xx carries the answer only when the UPDATE carried an offer.
      if (offer !== undefined && this.state.localSdp) res.setBody('application/sdp', this.state.localSdp);
      this.core.decorate(res);
      tx.respond(res);
      this.restartFromOurHeaders(timerHeaders);
    };
    if (offer === undefined || this.listenerCount('update') === 0) respond(200, this.defaultAnswer(offer));
    else this.emit('update', offer, respond);
  }

  /** ACK for a 2xx this dialog sent in answer to a re-INVITE (RFC 3261 13.3.1.4). */
  receiveAck(ack: SipRequest): void {
    const initial = this.onInitialAck;
    if (initial) {
      this.onInitialAck = undefined;
      initial(ack);
      return;
    }
    if (!this.reinviteWaiter?.pending) return; // retransmitted ACK
    this.reinviteWaiter.stop();
    if (this.offerInReinvite2xx) {
      this.offerInReinvite2xx = false;
      this.offerAnswer.settle();
      const answer = sdpOf(ack);
      if (answer !== undefined) this.setRemoteSdp(answer);
    }
  }

  /** The single path every end of the dialog goes through (STYLE 10). */
  end(why: { by: TerminatedBy; reason?: string }): void {
    if (this.terminatedWhy) return;
    this.terminatedWhy = why;
    this.reinviteWaiter?.stop();
    this.sessionTimer.stop();
    this.core.forgetDialog(this);
    this.emit('terminated', why);
  }
}

/** The SDP body of a message, if it has one (RFC 3261 20.15). */
export function sdpOf(msg: SipRequest | SipResponse): string | undefined {
  const ct = msg.headers.get('content-type')?.toLowerCase() ?? '';
  return msg.body.length > 0 && ct.startsWith('application/sdp') ? msg.bodyText : undefined;
}

function isLooseRoute(route: string): boolean {
  try {
    return parseSipUri(parseNameAddr(route).uri).params.has('lr');
  } catch {
    return true;
  }
}

/** Builds a To/From value with a tag added (used for local/remote URIs of new dialogs). */
export function withTag(value: string, tag: string): string {
  const na = parseNameAddr(value);
  if (!na.params.has('tag')) na.params.set('tag', tag);
  return formatNameAddr(na);
}

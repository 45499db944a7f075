/** A confirmed INVITE dialog, UAS or UAC side (RFC 3261 12, 13.3.1.4, 14, 15; RFC 6086). */
import { AckWaiter } from './ack-waiter.ts';
import type { TimerHandle } from './clock.ts';
import { dialogId, type UaCore } from './core.ts';
import { SipFailure } from './errors.ts';
import { formatNameAddr, parseNameAddr, parseSipUri } from './grammar.ts';
import { createResponse, SipRequest, type SipResponse } from './message.ts';
import type { ServerTransaction } from './transaction/types.ts';
import type { Endpoint, TransportName } from './transport.ts';
import { typedEmitter } from './typed-emitter.ts';

export type TerminatedBy = 'remote' | 'local' | 'timeout';

export interface DialogEvents {
  info: (req: SipRequest, respond: (status: number) => void) => void;
  reinvite: (offerSdp: string | undefined, respond: (status: number, sdp?: string) => void) => void;
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
}

export class Dialog extends typedEmitter<DialogEvents>() {
  readonly id: string;
  /** SDP of the 2xx answering our INVITE (UAC side). */
  answerSdp?: string;
  /** Set by the UAS while its initial 2xx waits for the ACK (RFC 3261 13.3.1.4). */
  onInitialAck?: (ack: SipRequest) => void;
  private terminatedWhy?: { by: TerminatedBy; reason?: string };
  private reinviteWaiter?: AckWaiter;

  constructor(private readonly core: UaCore, readonly state: DialogState) {
    super();
    this.id = dialogId(state.callId, state.localTag, state.remoteTag);
  }

  get callId(): string { return this.state.callId; }
  get localTag(): string { return this.state.localTag; }
  get remoteTag(): string { return this.state.remoteTag; }
  get remoteSdp(): string | undefined { return this.state.remoteSdp; }
  get localSdp(): string | undefined { return this.state.localSdp; }
  get terminated(): boolean { return this.terminatedWhy !== undefined; }

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
    if (method === 'INVITE') req.headers.append('Contact', `<${this.core.contactUri(s.transport)}>`);
    this.core.decorate(req);
    return req;
  }

  /** The next hop of in-dialog requests: first Route, else the remote target (RFC 3261 8.1.2). */
  nextHop(): Promise<Endpoint> {
    const first = this.state.routeSet[0];
    const uri = first === undefined ? this.state.remoteTarget : parseNameAddr(first).uri;
    return this.core.resolveTarget(uri, this.state.transport);
  }

  /** Sends an in-dialog non-INVITE request; resolves with the final status. */
  private async request(method: string, build?: (req: SipRequest) => void): Promise<number> {
    const req = this.createRequest(method);
    build?.(req);
    const dest = await this.nextHop();
    return new Promise<number>((resolve) => {
      this.core.sendRequest(req, dest, {
        onResponse: (res: SipResponse) => { if (res.status >= 200) resolve(res.status); },
        onTimeout: () => resolve(408),
        onTransportError: () => resolve(503),
      });
    });
  }

  /** RFC 6086: INFO within the dialog; resolves with the final status. */
  info(contentType: string, body: string): Promise<number> {
    if (this.terminated) return Promise.reject(new SipFailure(481, 'Dialog terminated'));
    return this.request('INFO', (req) => req.setBody(contentType, body));
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
      default:
        this.respond(tx, req, 405);
    }
  }

  private respond(tx: ServerTransaction, req: SipRequest, status: number, reason?: string): SipResponse {
    const res = createResponse(req, status, reason);
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

  /** RFC 3261 14.2: a re-INVITE; without a listener, answered 200 with the current local SDP. */
  private receiveReinvite(req: SipRequest, tx: ServerTransaction): void {
    if (this.reinviteWaiter?.pending) {
      this.respond(tx, req, 500, 'Previous INVITE pending'); // RFC 3261 14.2
      return;
    }
    const contact = req.headers.getAll('contact')[0];
    if (contact) this.state.remoteTarget = parseNameAddr(contact).uri; // RFC 3261 12.2.2
    const offer = req.bodyText;
    let answered = false;
    const timer = this.guard(() => respond(500));
    const respond = (status: number, sdp?: string): void => {
      if (answered) return;
      answered = true;
      timer.cancel();
      if (status >= 300 || status < 200) { this.respond(tx, req, status); return; }
      if (offer !== undefined) this.state.remoteSdp = offer;
      if (sdp !== undefined) this.state.localSdp = sdp;
      this.sendReinvite2xx(req, tx, status);
    };
    if (this.listenerCount('reinvite') === 0) respond(200, this.state.localSdp);
    else this.emit('reinvite', offer, respond);
  }

  private sendReinvite2xx(req: SipRequest, tx: ServerTransaction, status: number): void {
    const res = createResponse(req, status);
    res.headers.append('Contact', `<${this.core.contactUri(this.state.transport)}>`);
    if (this.state.localSdp) res.setBody('application/sdp', this.state.localSdp);
    this.core.decorate(res);
    tx.respond(res);
    this.reinviteWaiter = new AckWaiter(this.core.clock, this.core.timers, () => tx.respond(res),
      () => this.byeAndForget({ by: 'timeout', reason: 'no ACK for re-INVITE 2xx' }));
  }

  /** ACK for a 2xx this dialog sent in answer to a re-INVITE (RFC 3261 13.3.1.4). */
  receiveAck(ack: SipRequest): void {
    const initial = this.onInitialAck;
    if (initial) {
      this.onInitialAck = undefined;
      initial(ack);
      return;
    }
    this.reinviteWaiter?.stop();
  }

  /** The single path every end of the dialog goes through (STYLE 10). */
  end(why: { by: TerminatedBy; reason?: string }): void {
    if (this.terminatedWhy) return;
    this.terminatedWhy = why;
    this.reinviteWaiter?.stop();
    this.core.forgetDialog(this);
    this.emit('terminated', why);
  }
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

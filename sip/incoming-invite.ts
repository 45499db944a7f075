/** The UAS side of an out-of-dialog INVITE (RFC 3261 13.3, 9.2). Only legal moves are exposed. */
import { AckWaiter } from './ack-waiter.ts';
import type { UaCore } from './core.ts';
import { Dialog, sdpOf, withTag } from './dialog.ts';
import { SipFailure } from './errors.ts';
import { parseNameAddr, parseUnsigned } from './grammar.ts';
import type { TimerHandle } from './clock.ts';
import { newTag } from './ids.ts';
import { createResponse, type SipRequest, type SipResponse } from './message.ts';
import { lists100rel, parseRAck, ReliableProvisionals } from './session/reliable-provisional.ts';
import { decideAsUas, RFC_MIN_SE, uasResponseHeaders } from './session/session-timer.ts';
import type { ServerTransaction } from './transaction/types.ts';
import type { Source } from './transport.ts';
import { typedEmitter } from './typed-emitter.ts';

export interface IncomingInviteEvents {
  /** CANCEL received; the stack already answered 200 to the CANCEL and 487 to the INVITE. */
  cancel: () => void;
  /** A PRACK acknowledged our reliable provisional with this RSeq (RFC 3262 3). */
  prack: (rseq: number) => void;
}

type State = 'proceeding' | 'accepting' | 'confirmed' | 'rejected' | 'cancelled';

export class IncomingInvite extends typedEmitter<IncomingInviteEvents>() {
  readonly callId: string;
  readonly offerSdp?: string;
  readonly fromUri: string;
  readonly fromDisplayName?: string;
  readonly toUri: string;
  readonly requestUri: string;
  readonly source: Source;
  /** Our To tag, used in every response and as the dialog's local tag (RFC 3261 8.2.6.2). */
  readonly localTag = newTag();
  private state: State = 'proceeding';
  private expiry?: TimerHandle;
  private failAccept?: (err: Error) => void;
  /** RFC 3262 3: present when the INVITE requires reliable provisional responses. */
  private readonly reliable?: ReliableProvisionals;

  constructor(private readonly core: UaCore, readonly request: SipRequest,
    private readonly tx: ServerTransaction, source: Source, private readonly onSettled: () => void) {
    super();
    this.callId = request.callId;
    this.source = source;
    const from = request.from;
    this.fromUri = from.uri;
    this.fromDisplayName = from.displayName;
    this.toUri = request.to.uri;
    this.requestUri = request.uri;
    const ct = request.headers.get('content-type')?.toLowerCase() ?? '';
    this.offerSdp = ct.startsWith('application/sdp') ? request.bodyText : undefined;
    if (lists100rel(request, 'require')) {
      this.reliable = new ReliableProvisionals(core.clock, core.timers, request.cseq.seq, (res) => this.tx.respond(res), () => {
        // RFC 3262 3: no PRACK within 64·T1 → reject the INVITE with a 5xx.
        core.logger.warn('sip reliable provisional never acknowledged', { callId: this.callId });
        this.reject(504, 'No PRACK received');
      });
    }
    // RFC 3261 13.3.1: when the INVITE's Expires passes unanswered, the UAS answers 487.
    const expires = parseUnsigned(request.headers.get('expires') ?? '');
    if (expires !== undefined) {
      this.expiry = core.clock.setTimer(expires * 1000, () => {
        if (this.state !== 'proceeding') return;
        this.state = 'cancelled';
        this.tx.respond(this.response(487, 'Request Terminated (Expires)'));
        this.settle();
        this.emit('cancel');
      });
    }
  }

  private settle(): void {
    this.expiry?.cancel();
    this.reliable?.stop();
    this.onSettled();
  }

  get pending(): boolean {
    return this.state === 'proceeding';
  }

  private response(status: number, reason?: string, headers?: Record<string, string>): SipResponse {
    const res = createResponse(this.request, status, reason, this.localTag);
    if (headers) for (const [k, v] of Object.entries(headers)) res.headers.append(k, v);
    this.core.decorate(res);
    return res;
  }

  /** RFC 3261 13.3.1.1: provisional response, optionally with early-media SDP. */
  progress(status: 180 | 183, opts: { sdp?: string } = {}): void {
    if (this.state !== 'proceeding') return;
    const res = this.response(status);
    res.headers.append('Contact', `<${this.core.contactUri(this.source.transport)}>`);
    if (opts.sdp) res.setBody('application/sdp', opts.sdp);
    // RFC 3262 3: sent reliably (Require: 100rel, RSeq) when the INVITE required it.
    if (this.reliable) this.reliable.send(res);
    else this.tx.respond(res);
  }

  /**
   * A request in the early dialog this INVITE created (our To tag): PRACK (RFC 3262 3), or
   * UPDATE (RFC 3311 5.2; accepted without an offer, e.g. a session refresh).
   */
  receiveEarlyRequest(req: SipRequest, tx: ServerTransaction): void {
    const respond = (status: number, reason?: string): void => {
      const res = createResponse(req, status, reason);
      this.core.decorate(res);
      tx.respond(res);
    };
    if (req.method === 'PRACK') {
      const rack = parseRAck(req.headers.get('rack'));
      // RFC 3262 3: a PRACK matching no unacknowledged reliable provisional gets 481.
      if (!rack || !this.reliable?.acknowledge(rack)) return respond(481);
      respond(200);
      this.emit('prack', rack.rseq);
      return;
    }
    // DEVIATION(RFC 3311 5.2): offers in early UPDATEs are not negotiated (no early-media
    // renegotiation); they are refused with 488 and the INVITE continues.
    if (req.method === 'UPDATE') return respond(sdpOf(req) === undefined ? 200 : 488);
    respond(481);
  }

  /** RFC 3261 13.3.1.4: 2xx with the answer; resolves with the dialog when the ACK arrives. */
  accept(opts: { sdp: string; headers?: Record<string, string> }): Promise<Dialog> {
    if (this.state !== 'proceeding') {
      return Promise.reject(new SipFailure(481, `cannot accept: INVITE already ${this.state}`));
    }
    this.state = 'accepting';
    const res = this.response(200, undefined, opts.headers);
    res.headers.set('Supported', '100rel, timer');
    // RFC 4028 9: the session interval (the 422 case was answered before the app saw the INVITE).
    const timer = decideAsUas(this.request, this.core.minSessionExpires ?? RFC_MIN_SE);
    if (timer.kind === 'use') for (const [k, v] of Object.entries(uasResponseHeaders(timer))) res.headers.set(k, v);
    // RFC 3261 12.1.1: Record-Route copied into the 2xx; Contact with our address.
    for (const rr of this.request.headers.getAll('record-route')) res.headers.append('Record-Route', rr);
    res.headers.append('Contact', `<${this.core.contactUri(this.source.transport)}>`);
    res.setBody('application/sdp', opts.sdp);
    const dialog = this.createDialog(opts.sdp);
    // RFC 3264 / RFC 3261 13.3.1: an INVITE without SDP makes our 2xx the offer; the ACK answers.
    if (this.offerSdp === undefined) dialog.offerAnswer.localOffer();
    this.core.rememberDialog(dialog);
    this.tx.respond(res);
    this.settle();
    return new Promise<Dialog>((resolve, reject) => {
      const waiter = new AckWaiter(this.core.clock, this.core.timers, () => this.tx.respond(res), () => {
        // RFC 3261 13.3.1.4: no ACK within 64*T1 → confirm then end the dialog with BYE.
        this.failAccept = undefined;
        dialog.onInitialAck = undefined;
        dialog.byeAndForget({ by: 'timeout', reason: 'no ACK for 2xx' });
        reject(new SipFailure(408, 'No ACK received'));
      });
      dialog.onInitialAck = (ack) => {
        waiter.stop();
        this.failAccept = undefined;
        this.state = 'confirmed';
        dialog.offerAnswer.settle();
        const answer = sdpOf(ack);
        if (answer !== undefined) dialog.state.remoteSdp = answer;
        else if (this.offerSdp === undefined) {
          this.core.logger.warn('sip ACK for a delayed-offer 2xx carried no answer', { callId: this.callId });
        }
        if (timer.kind === 'use') dialog.startSessionTimer(timer.seconds, timer.refresher === 'uas');
        resolve(dialog);
      };
      this.failAccept = (err) => { waiter.stop(); reject(err); };
      dialog.once('terminated', (why) => {
        if (!this.failAccept) return;
        this.failAccept(new SipFailure(487, `dialog ended before ACK (${why.by})`));
      });
    });
  }

  /** RFC 3261 12.1.1: UAS dialog state from the INVITE. */
  private createDialog(localSdp: string): Dialog {
    const req = this.request;
    const contact = req.headers.getAll('contact')[0];
    const remoteTarget = contact ? parseNameAddr(contact).uri : req.from.uri;
    return new Dialog(this.core, {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag: req.from.params.get('tag') ?? '',
      localUri: withTag(req.headers.get('to') ?? '', this.localTag),
      remoteUri: req.headers.get('from') ?? '',
      localSeq: Math.floor(Math.random() * 10000) + 1,
      remoteSeq: req.cseq.seq,
      remoteTarget,
      routeSet: req.headers.getAll('record-route'),
      transport: this.source.transport,
      localSdp,
      remoteSdp: this.offerSdp,
      ownsCallId: false,
      peerAllows: req.headers.getAll('allow').map((m) => m.trim().toUpperCase()),
    });
  }

  /** Final non-2xx response (RFC 3261 13.3.1.3). */
  reject(status: number, reason?: string, headers?: Record<string, string>): void {
    if (this.state !== 'proceeding') return;
    if (status < 300 || status > 699) throw new RangeError(`reject status must be 300-699, got ${status}`);
    this.state = 'rejected';
    this.tx.respond(this.response(status, reason, headers));
    this.settle();
  }

  /** RFC 3261 9.2: CANCEL matched this INVITE; 487 if still pending. Returns whether it took effect. */
  cancelled(): boolean {
    if (this.state !== 'proceeding') return false;
    this.state = 'cancelled';
    this.tx.respond(this.response(487));
    this.settle();
    this.emit('cancel');
    return true;
  }

  /** Stack shutdown: a pending accept() rejects. */
  abort(): void {
    this.expiry?.cancel();
    this.reliable?.stop();
    this.failAccept?.(new SipFailure(503, 'SIP stack closed'));
    this.failAccept = undefined;
  }
}

/** The UAS side of an out-of-dialog INVITE (RFC 3261 13.3, 9.2). Only legal moves are exposed. */
import { AckWaiter } from './ack-waiter.ts';
import type { UaCore } from './core.ts';
import { Dialog, withTag } from './dialog.ts';
import { SipFailure } from './errors.ts';
import { parseNameAddr, parseUnsigned } from './grammar.ts';
import type { TimerHandle } from './clock.ts';
import { newTag } from './ids.ts';
import { createResponse, type SipRequest, type SipResponse } from './message.ts';
import type { ServerTransaction } from './transaction/types.ts';
import type { Source } from './transport.ts';
import { typedEmitter } from './typed-emitter.ts';

export interface IncomingInviteEvents {
  /** CANCEL received; the stack already answered 200 to the CANCEL and 487 to the INVITE. */
  cancel: () => void;
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
    this.tx.respond(res);
  }

  /** RFC 3261 13.3.1.4: 2xx with the answer; resolves with the dialog when the ACK arrives. */
  accept(opts: { sdp: string; headers?: Record<string, string> }): Promise<Dialog> {
    if (this.state !== 'proceeding') {
      return Promise.reject(new SipFailure(481, `cannot accept: INVITE already ${this.state}`));
    }
    this.state = 'accepting';
    const res = this.response(200, undefined, opts.headers);
    // RFC 3261 12.1.1: Record-Route copied into the 2xx; Contact with our address.
    for (const rr of this.request.headers.getAll('record-route')) res.headers.append('Record-Route', rr);
    res.headers.append('Contact', `<${this.core.contactUri(this.source.transport)}>`);
    res.setBody('application/sdp', opts.sdp);
    const dialog = this.createDialog(opts.sdp);
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
        const ct = ack.headers.get('content-type')?.toLowerCase() ?? '';
        if (ack.body.length > 0 && ct.startsWith('application/sdp')) dialog.state.remoteSdp = ack.bodyText;
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
    this.failAccept?.(new SipFailure(503, 'SIP stack closed'));
    this.failAccept = undefined;
  }
}

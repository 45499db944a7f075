/** The UAC side of an out-of-dialog INVITE (RFC 3261 13.2, 9.1, 12.1.2). */
import { applyAuthHeaders, DigestClient, type CredentialProvider, type DigestCredentials } from './auth/client.ts';
import type { UaCore } from './core.ts';
import { Dialog } from './dialog.ts';
import { SipFailure } from './errors.ts';
import { formatNameAddr, parseNameAddr } from './grammar.ts';
import { newCallId, newTag } from './ids.ts';
import { SipRequest, type SipResponse } from './message.ts';
import { lists100rel } from './session/reliable-provisional.ts';
import { parseMinSe, parseSessionExpires } from './session/session-timer.ts';
import type { TimerHandle } from './clock.ts';
import type { ClientTransaction, ClientTransactionUser } from './transaction/types.ts';
import type { Endpoint } from './transport.ts';
import { typedEmitter } from './typed-emitter.ts';

export interface OutgoingInviteOptions {
  requestUri: string;
  fromUri: string;
  fromDisplayName?: string;
  /** Default: the Request-URI. */
  toUri?: string;
  sdp?: string;
  headers?: Record<string, string>;
  /** Answers a 401/407 once (RFC 3261 22.2, 22.3): fixed credentials or a per-realm provider. Absent: the challenge fails the call. */
  credentials?: DigestCredentials | CredentialProvider;
  /** RFC 4028 7.1: ask for a session timer of this many seconds (Session-Expires); absent: none. */
  sessionExpires?: number;
  /**
   * Delayed offer (INVITE without `sdp`, RFC 3261 13.2.1): builds our answer to the offer in the
   * 2xx, sent in the ACK. Required for a delayed offer whose 2xx carries SDP.
   */
  answer?: (offerSdp: string) => string;
}

export interface OutgoingInviteEvents {
  provisional: (status: number, sdp?: string) => void;
  /** A 1xx with a To tag created (or updated) an early dialog (RFC 3261 12.1, 13.2.2.1). */
  early: (dialog: Dialog, status: number) => void;
}

export type AnsweredDialog = Dialog & { answerSdp?: string };

export class OutgoingInvite extends typedEmitter<OutgoingInviteEvents>() implements ClientTransactionUser {
  readonly callId: string;
  readonly localTag = newTag();
  readonly result: Promise<AnsweredDialog>;
  private resolveResult!: (d: AnsweredDialog) => void;
  private rejectResult!: (e: SipFailure) => void;
  private invite?: SipRequest;
  private inviteTx?: ClientTransaction;
  private cancelGuard?: TimerHandle;
  private dest?: Endpoint;
  private settled = false;
  private cancelWanted = false;
  private cancelSent = false;
  private gotProvisional = false;
  private cseq = 1;
  private authRetries = 0;
  private digest?: DigestClient;
  private sessionExpires?: number;
  private sessionRetried = false;
  /** Early dialogs by remote tag, with the last RSeq acknowledged (RFC 3262 4); forks each get one. */
  private readonly early = new Map<string, { dialog: Dialog; lastRSeq?: number }>();
  /** Dialogs created by 2xx responses, by remote tag, with the ACK to repeat (RFC 3261 13.2.2.4). */
  private readonly acked = new Map<string, { dialog: Dialog; ack?: SipRequest; dest?: Endpoint }>();

  constructor(private readonly core: UaCore, private readonly opts: OutgoingInviteOptions) {
    super();
    this.callId = newCallId(core.advertisedHost);
    this.sessionExpires = opts.sessionExpires;
    this.result = new Promise<AnsweredDialog>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.result.catch(() => undefined); // callers may only await it later
    this.start().catch((err: Error) => this.fail(new SipFailure(503, `cannot send INVITE: ${err.message}`)));
  }

  private async start(): Promise<void> {
    const dest = await this.core.resolveTarget(this.opts.requestUri, 'udp');
    if (this.settled) return;
    if (this.cancelWanted) return this.fail(new SipFailure(487, 'Request Terminated'));
    this.dest = dest;
    this.invite = this.buildInvite(dest);
    this.inviteTx = this.core.sendRequest(this.invite, dest, this);
  }

  /** RFC 3261 8.1.1: the mandatory header set of a new request. */
  private buildInvite(dest: Endpoint): SipRequest {
    const o = this.opts;
    const req = new SipRequest('INVITE', o.requestUri);
    this.core.addVia(req, dest.transport);
    req.headers.append('Max-Forwards', '70');
    const from = formatNameAddr({ displayName: o.fromDisplayName, uri: o.fromUri, params: new Map([['tag', this.localTag]]) });
    req.headers.append('From', from);
    req.headers.append('To', formatNameAddr({ uri: o.toUri ?? o.requestUri, params: new Map() }));
    req.headers.append('Call-ID', this.callId);
    req.headers.append('CSeq', `${this.cseq} INVITE`);
    req.headers.append('Contact', `<${this.core.contactUri(dest.transport)}>`);
    for (const [k, v] of Object.entries(o.headers ?? {})) req.headers.append(k, v);
    // RFC 4028 7.1: Session-Expires without refresher lets the UAS choose; Supported: timer via decorate().
    if (this.sessionExpires !== undefined) req.headers.set('Session-Expires', String(this.sessionExpires));
    if (o.sdp) req.setBody('application/sdp', o.sdp);
    this.core.decorate(req);
    return req;
  }

  onResponse(res: SipResponse): void {
    if (res.status < 200) return this.onProvisional(res);
    if (res.status < 300) return this.onSuccess(res);
    if ((res.status === 401 || res.status === 407) && this.retryWithCredentials(res)) return;
    if (res.status === 422 && this.retryWithMinSe(res)) return;
    this.fail(new SipFailure(res.status, res.reason));
  }

  /** RFC 4028 7.4: after 422, retry once with Session-Expires raised to the response's Min-SE. */
  private retryWithMinSe(res: SipResponse): boolean {
    const minSe = parseMinSe(res);
    if (minSe === undefined || this.sessionRetried || !this.dest || this.settled || this.cancelWanted) return false;
    this.sessionRetried = true;
    this.sessionExpires = Math.max(minSe, this.sessionExpires ?? 0);
    this.cseq++;
    const retry = this.buildInvite(this.dest);
    if (this.invite) for (const h of ['authorization', 'proxy-authorization']) {
      for (const v of this.invite.headers.getAll(h)) retry.headers.append(h === 'authorization' ? 'Authorization' : 'Proxy-Authorization', v);
    }
    this.invite = retry;
    this.gotProvisional = false;
    this.inviteTx = this.core.sendRequest(retry, this.dest, this);
    return true;
  }

  /**
   * RFC 3261 12.1.2: a 1xx with a To tag creates an early dialog; RFC 3262 4: a reliable one
   * (Require: 100rel + RSeq) is acknowledged by PRACK, retransmissions (same RSeq) discarded.
   * Returns false when the response is a retransmission to ignore.
   */
  private trackEarlyDialog(res: SipResponse): boolean {
    const remoteTag = res.to.params.get('tag') ?? undefined;
    if (!remoteTag || res.status === 100 || !this.invite) return true;
    let entry = this.early.get(remoteTag);
    if (!entry) {
      entry = { dialog: this.createDialog(res, remoteTag) };
      this.early.set(remoteTag, entry);
    }
    const rseqText = res.headers.get('rseq');
    if (!lists100rel(res, 'require') || rseqText === undefined || !/^\d{1,10}$/.test(rseqText.trim())) {
      this.emit('early', entry.dialog, res.status);
      return true;
    }
    const rseq = Number(rseqText.trim());
    // RFC 3262 4: in order only (RSeq one higher than the last), retransmissions discarded.
    if (entry.lastRSeq !== undefined && rseq !== entry.lastRSeq + 1) return false;
    entry.lastRSeq = rseq;
    const answered = sdpOf(res);
    if (answered !== undefined) entry.dialog.state.remoteSdp = answered;
    entry.dialog.prack(`${rseq} ${this.invite.cseq.seq} INVITE`).then((status) => {
      if (status >= 300) this.core.logger.warn('sip PRACK refused', { callId: this.callId, status });
    }, (err: Error) => this.core.logger.warn('sip PRACK failed', { callId: this.callId, err: err.message }));
    this.emit('early', entry.dialog, res.status);
    return true;
  }

  /**
   * RFC 3261 22.2/22.3: re-send the INVITE with credentials: same Call-ID, From tag and To,
   * CSeq+1, a new branch (new transaction). Once per call; a second time only for stale=true
   * (RFC 7616 3.3), so wrong credentials cannot loop.
   */
  private retryWithCredentials(res: SipResponse): boolean {
    const creds = this.opts.credentials;
    if (!creds || !this.dest || this.settled || this.cancelWanted) return false;
    const challenges = res.headers.getAll(res.status === 407 ? 'proxy-authenticate' : 'www-authenticate').join(',');
    if (this.authRetries >= (/stale\s*=\s*"?true/i.test(challenges) ? 2 : 1)) return false;
    this.digest ??= new DigestClient(typeof creds === 'function' ? creds : () => creds);
    this.cseq++;
    const retry = this.buildInvite(this.dest);
    const headers = this.digest.respond(res, retry);
    if (!headers) return false;
    applyAuthHeaders(retry, headers);
    this.authRetries++;
    this.invite = retry;
    this.gotProvisional = false;
    this.inviteTx = this.core.sendRequest(retry, this.dest, this);
    return true;
  }

  private onProvisional(res: SipResponse): void {
    this.gotProvisional = true;
    // RFC 3261 9.1: a CANCEL waits for a provisional response.
    if (this.cancelWanted && !this.cancelSent) this.sendCancel();
    if (res.status === 100 || this.settled) return;
    if (!this.trackEarlyDialog(res)) return;
    this.emit('provisional', res.status, sdpOf(res));
  }

  /** RFC 3261 13.2.2.4: every 2xx is ACKed; extra dialogs (forks) and late answers get a BYE. */
  private onSuccess(res: SipResponse): void {
    const remoteTag = res.to.params.get('tag') ?? '';
    const known = this.acked.get(remoteTag);
    if (known) {
      if (known.ack && known.dest) this.core.sendDirect(known.ack, known.dest);
      return;
    }
    const dialog = this.createDialog(res, remoteTag);
    const entry: { dialog: Dialog; ack?: SipRequest; dest?: Endpoint } = { dialog };
    this.acked.set(remoteTag, entry);
    this.core.rememberDialog(dialog);
    const ack = dialog.createRequest('ACK', this.invite!.cseq.seq);
    // RFC 3261 13.2.1 / RFC 3264: delayed offer: the 2xx carried the offer, the ACK answers it.
    const offer = this.opts.sdp === undefined ? sdpOf(res) : undefined;
    if (offer !== undefined && this.opts.answer) {
      const answer = this.opts.answer(offer);
      ack.setBody('application/sdp', answer);
      dialog.state.localSdp = answer;
    }
    dialog.nextHop().then((dest) => {
      entry.ack = ack;
      entry.dest = dest;
      this.core.sendDirect(ack, dest);
      if (this.settled || this.cancelWanted) {
        dialog.byeAndForget({ by: 'local', reason: this.settled ? 'extra 2xx' : 'cancelled' });
        this.fail(new SipFailure(487, 'Request Terminated'));
      } else {
        this.settled = true;
        this.cancelGuard?.cancel();
        this.startSessionTimer(dialog, res);
        this.resolveResult(dialog);
      }
    }, (err: Error) => {
      dialog.end({ by: 'local', reason: `cannot route ACK: ${err.message}` });
      this.fail(new SipFailure(503, 'cannot route ACK'));
    });
  }

  /** RFC 4028 7.2: the 2xx's Session-Expires starts the timer; refresher=uac means us. */
  private startSessionTimer(dialog: Dialog, res: SipResponse): void {
    const se = parseSessionExpires(res);
    if (se) dialog.startSessionTimer(se.seconds, (se.refresher ?? 'uac') === 'uac');
  }

  /** RFC 3261 12.1.2: UAC dialog state from the 2xx (or, for an early dialog, the 1xx). */
  private createDialog(res: SipResponse, remoteTag: string): Dialog {
    const inv = this.invite!;
    const contact = res.headers.getAll('contact')[0];
    // PRACKs sent in the early dialog used CSeq numbers after the INVITE's (RFC 3262 7.1).
    const earlySeq = this.early.get(remoteTag)?.dialog.state.localSeq ?? 0;
    const dialog = new Dialog(this.core, {
      callId: this.callId,
      localTag: this.localTag,
      remoteTag,
      localUri: inv.headers.get('from') ?? '',
      remoteUri: res.headers.get('to') ?? '',
      localSeq: Math.max(inv.cseq.seq, earlySeq),
      remoteTarget: contact ? parseNameAddr(contact).uri : inv.uri,
      routeSet: res.headers.getAll('record-route').reverse(),
      transport: this.dest!.transport,
      localSdp: this.opts.sdp,
      remoteSdp: sdpOf(res),
      ownsCallId: true,
      peerAllows: res.headers.getAll('allow').map((m) => m.trim().toUpperCase()),
    });
    dialog.answerSdp = dialog.remoteSdp;
    return dialog;
  }

  onTimeout(): void {
    this.fail(new SipFailure(408, 'Request Timeout'));
  }

  onTransportError(err: Error): void {
    this.fail(new SipFailure(503, `transport error: ${err.message}`));
  }

  private fail(err: SipFailure): void {
    this.cancelGuard?.cancel();
    if (this.settled) return;
    this.settled = true;
    this.rejectResult(err);
  }

  /** RFC 3261 9.1: cancel a pending INVITE (sent once a provisional response has arrived). */
  cancel(): void {
    if (this.settled || this.cancelWanted) return;
    this.cancelWanted = true;
    if (this.invite && this.gotProvisional) this.sendCancel();
  }

  /** RFC 3261 9.1: CANCEL copies Request-URI, Call-ID, To, From, CSeq number, top Via and Route. */
  private sendCancel(): void {
    const inv = this.invite;
    if (!inv || !this.dest || this.cancelSent) return;
    this.cancelSent = true;
    const c = new SipRequest('CANCEL', inv.uri);
    c.headers.append('Via', inv.headers.getAll('via')[0]);
    for (const r of inv.headers.getAll('route')) c.headers.append('Route', r);
    c.headers.append('Max-Forwards', '70');
    c.headers.append('From', inv.headers.get('from') ?? '');
    c.headers.append('To', inv.headers.get('to') ?? '');
    c.headers.append('Call-ID', inv.callId);
    c.headers.append('CSeq', `${inv.cseq.seq} CANCEL`);
    this.core.decorate(c);
    // RFC 3261 9.1: no final response within 64·T1 of the CANCEL → the INVITE transaction is
    // considered destroyed.
    this.cancelGuard = this.core.clock.setTimer(64 * this.core.timers.t1, () => {
      this.inviteTx?.terminate();
      this.fail(new SipFailure(487, 'Request Terminated (no final response after CANCEL)'));
    });
    this.core.sendRequest(c, this.dest, {
      onResponse: () => undefined, // the INVITE's 487 settles the result
      onTimeout: () => this.core.logger.warn('sip CANCEL timed out', { callId: this.callId }),
      onTransportError: () => undefined,
    });
  }

  /** Stack shutdown. */
  abort(): void {
    this.inviteTx?.terminate();
    this.fail(new SipFailure(503, 'SIP stack closed'));
  }
}

function sdpOf(res: SipResponse): string | undefined {
  const ct = res.headers.get('content-type')?.toLowerCase() ?? '';
  return res.body.length > 0 && ct.startsWith('application/sdp') ? res.bodyText : undefined;
}

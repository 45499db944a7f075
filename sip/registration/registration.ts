/**
 * Outbound registration (RFC 3261 10.2): keeps one AOR registered with an upstream registrar,
 * refreshing before expiry, answering digest challenges (RFC 3261 22.2) and failing over to
 * the next registrar on 5xx, 408 or transport failure. Driven by the stack's client
 * transactions and its injected clock.
 */
import { applyAuthHeaders, DigestClient, type CredentialProvider, type DigestCredentials } from '../auth/client.ts';
import type { TimerHandle } from '../clock.ts';
import type { UaCore } from '../core.ts';
import { formatNameAddr, parseNameAddr, parseUnsigned } from '../grammar.ts';
import { newCallId, newTag } from '../ids.ts';
import { SipRequest, type SipResponse } from '../message.ts';
import type { ClientTransaction, ClientTransactionUser } from '../transaction/types.ts';
import type { Endpoint, TransportName } from '../transport.ts';
import { typedEmitter } from '../typed-emitter.ts';

export interface RegistrationOptions {
  /** The address-of-record to register, e.g. 'sip:roomgate@carrier.example' (To and From). Required. */
  aor: string;
  /** Registrar URIs tried in order, e.g. ['sip:reg1.carrier.example:5060', 'sip:reg2...']. Required, non-empty. */
  registrars: string[];
  /** Credentials for every realm, or a per-realm provider. Absent: a 401/407 fails the attempt. */
  credentials?: DigestCredentials | CredentialProvider;
  /** Requested binding lifetime in s (RFC 3261 10.2.1.1). Default 3600. */
  expiresS?: number;
  /** Wait after every registrar failed before the next round, in s. Default 30. */
  retryAfterS?: number;
  /** Each further failed round doubles the wait, up to this many s (backoff). Default retryAfterS (no backoff). */
  retryMaxS?: number;
  /**
   * While registered at a registrar other than the first, go back to the first after this many s
   * (or at the next refresh, if sooner); it fails over again if the first still fails. Default: never.
   */
  primaryRetryS?: number;
  /** Transport to the registrars. Default 'udp'. */
  transport?: TransportName;
  /** Contact to bind. Default the stack's contact URI for the transport (with the AOR's user). */
  contact?: string;
}

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'retrying' | 'stopped';

export interface RegistrationEvents {
  /** A 2xx bound our contact for `expiresS` seconds at `registrar`. */
  registered: (expiresS: number, registrar: string) => void;
  /** Every registrar failed in this round; retried after `retryInS`. `status` is the last one seen. */
  failed: (status: number, reason: string, retryInS: number) => void;
  /** An attempt on one registrar failed; the next one is tried. */
  failover: (from: string, to: string, status: number) => void;
}

/** RFC 3261 10.2.4 leaves the margin open: refresh halfway for short bindings, a minute early otherwise. */
export function refreshDelayS(grantedS: number): number {
  return grantedS <= 120 ? grantedS / 2 : grantedS - 60;
}

export class Registration extends typedEmitter<RegistrationEvents>() implements ClientTransactionUser {
  private _state: RegistrationState = 'idle';
  private index = 0;
  private callId = '';
  private cseq = 0;
  private readonly fromTag = newTag();
  private expiresS: number;
  private timer?: TimerHandle;
  private tx?: ClientTransaction;
  private current?: SipRequest;
  private challengesAnswered = 0;
  private triedInRound = 0;
  /** The current registrar holds a binding of ours (a 2xx granted one, not yet removed). */
  private bound = false;
  /** Rounds in a row in which every registrar failed (backoff exponent). */
  private failedRounds = 0;
  private briefRetried = false;
  private readonly digest?: DigestClient;
  private stopWaiter?: () => void;

  constructor(private readonly core: UaCore, private readonly opts: RegistrationOptions) {
    super();
    if (opts.registrars.length === 0) throw new Error('Registration needs at least one registrar');
    this.expiresS = opts.expiresS ?? 3600;
    const c = opts.credentials;
    if (c) this.digest = new DigestClient(typeof c === 'function' ? c : () => c);
  }

  get state(): RegistrationState {
    return this._state;
  }

  /** The registrar currently used. */
  get registrar(): string {
    return this.opts.registrars[this.index];
  }

  start(): void {
    if (this._state !== 'idle') return;
    this.newRegistrar(0);
    this.send(this.expiresS);
  }

  /**
   * Removes our binding (Expires: 0, RFC 3261 10.2.2) when the current registrar holds one (also
   * while a refresh is in flight), then stops; idempotent.
   */
  async stop(): Promise<void> {
    if (this._state === 'stopped') return;
    const wasRegistered = this.bound;
    this.timer?.cancel();
    this.tx?.terminate();
    this._state = 'stopped';
    if (!wasRegistered) return;
    await new Promise<void>((resolve) => {
      this.stopWaiter = resolve;
      this.send(0);
    });
  }

  private newRegistrar(index: number): void {
    this.index = index;
    // DEVIATION(RFC 3261 10.2.2): a binding left at the previous registrar is not removed; it expires.
    this.bound = false;
    // RFC 3261 10.2.4: one Call-ID per registrar for the whole boot cycle, CSeq increasing.
    this.callId = newCallId(this.core.advertisedHost);
    this.cseq = 0;
  }

  private send(expires: number): void {
    if (this._state !== 'stopped') this._state = 'registering';
    this.challengesAnswered = 0;
    this.core.resolveTarget(this.registrar, this.opts.transport ?? 'udp').then((dest) => {
      if (this._state === 'stopped' && expires !== 0) return;
      const req = this.build(expires, dest.transport);
      this.transmit(req, dest);
    }, (err: Error) => this.onAttemptFailed(503, `cannot resolve registrar: ${err.message}`));
  }

  private transmitTo?: Endpoint;

  private transmit(req: SipRequest, dest: Endpoint): void {
    this.current = req;
    this.transmitTo = dest;
    this.tx = this.core.sendRequest(req, dest, this);
  }

  /** RFC 3261 10.2: Request-URI = registrar domain, To = AOR, From = AOR (tag), Contact with expires. */
  private build(expires: number, transport: TransportName): SipRequest {
    const req = new SipRequest('REGISTER', this.registrar);
    this.core.addVia(req, transport);
    req.headers.append('Max-Forwards', '70');
    req.headers.append('From', formatNameAddr({ uri: this.opts.aor, params: new Map([['tag', this.fromTag]]) }));
    req.headers.append('To', formatNameAddr({ uri: this.opts.aor, params: new Map() }));
    req.headers.append('Call-ID', this.callId);
    req.headers.append('CSeq', `${++this.cseq} REGISTER`);
    req.headers.append('Contact', `<${this.contact(transport)}>`);
    req.headers.append('Expires', String(expires));
    this.core.decorate(req);
    return req;
  }

  private contact(transport: TransportName): string {
    if (this.opts.contact) return this.opts.contact;
    const base = this.core.contactUri(transport); // sip:host:port[;transport=x]
    const user = /^sips?:([^@;]+)@/.exec(this.opts.aor)?.[1];
    return user ? base.replace(/^(sips?:)/, `$1${user}@`) : base;
  }

  onResponse(res: SipResponse): void {
    if (res.status < 200) return;
    this.tx = undefined;
    const challenged = res.status === 401 || res.status === 407;
    if (this._state === 'stopped') return challenged && this.answerChallenge(res) ? undefined : this.finishStop();
    if (res.status < 300) return this.onRegistered(res);
    if (challenged && this.answerChallenge(res)) return;
    if (res.status === 423) return this.onIntervalTooBrief(res);
    // RFC 3261 20.33: a 503/4xx may say when to come back; honoured if longer than our own wait.
    this.onAttemptFailed(res.status, res.reason, parseUnsigned((res.headers.get('retry-after') ?? '').split(/[;(\s]/)[0]));
  }

  onTimeout(): void {
    this.tx = undefined;
    if (this._state === 'stopped') return this.finishStop();
    this.onAttemptFailed(408, 'Request Timeout');
  }

  onTransportError(err: Error): void {
    this.tx = undefined;
    if (this._state === 'stopped') return this.finishStop();
    this.onAttemptFailed(503, `transport error: ${err.message}`);
  }

  private finishStop(): void {
    this.stopWaiter?.();
    this.stopWaiter = undefined;
  }

  /** RFC 3261 10.2.4: the granted interval is our Contact's expires param, else Expires. */
  private onRegistered(res: SipResponse): void {
    const ours = this.current?.headers.get('contact') ?? '';
    let granted: number | undefined;
    for (const c of res.headers.getAll('contact')) {
      try {
        const na = parseNameAddr(c);
        if (`<${na.uri}>` === ours || na.uri === ours.slice(1, -1)) granted = parseUnsigned(na.params.get('expires') ?? '');
      } catch { /* a contact we cannot read is not ours */ }
    }
    granted ??= parseUnsigned(res.headers.get('expires') ?? '') ?? this.expiresS;
    if (granted <= 0) granted = this.expiresS;
    this._state = 'registered';
    this.bound = true;
    this.triedInRound = 0;
    this.failedRounds = 0;
    this.briefRetried = false;
    this.emit('registered', granted, this.registrar);
    const refreshS = refreshDelayS(granted);
    const primaryS = this.opts.primaryRetryS;
    if (this.index !== 0 && primaryS !== undefined && primaryS < refreshS) {
      // Registered at a backup: try the first registrar again (a new Call-ID there, RFC 3261 10.2.4).
      this.timer = this.core.clock.setTimer(primaryS * 1000, () => {
        this.newRegistrar(0);
        this.send(this.expiresS);
      });
      return;
    }
    this.timer = this.core.clock.setTimer(refreshS * 1000, () => {
      if (this.index !== 0 && primaryS !== undefined) this.newRegistrar(0);
      this.send(this.expiresS);
    });
  }

  /** RFC 3261 22.2: re-send with credentials, new branch, CSeq+1; give up on a second refusal unless stale. */
  private answerChallenge(res: SipResponse): boolean {
    const req = this.current;
    if (!req || !this.digest || !this.transmitTo) return false;
    const stale = /stale\s*=\s*"?true/i.test(res.headers.getAll(res.status === 407 ? 'proxy-authenticate' : 'www-authenticate').join(','));
    if (this.challengesAnswered >= (stale ? 2 : 1)) return false;
    const retry = this.build(parseUnsigned(req.headers.get('expires') ?? '') ?? this.expiresS, this.transmitTo.transport);
    const headers = this.digest.respond(res, retry);
    if (!headers) return false;
    applyAuthHeaders(retry, headers);
    this.challengesAnswered++;
    this.transmit(retry, this.transmitTo);
    return true;
  }

  /** RFC 3261 10.2.8: 423 → retry once with the Min-Expires the registrar asks for. */
  private onIntervalTooBrief(res: SipResponse): void {
    const min = parseUnsigned(res.headers.get('min-expires') ?? '');
    if (min === undefined || this.briefRetried) return this.onAttemptFailed(423, res.reason);
    this.briefRetried = true;
    this.expiresS = Math.max(this.expiresS, min);
    this.send(this.expiresS);
  }

  /**
   * 5xx, 408, transport error and 403 (this registrar refuses us; another may not): the next
   * registrar; other failures too, after a full round: wait (doubling up to retryMaxS) and retry.
   */
  private onAttemptFailed(status: number, reason: string, retryAfterS?: number): void {
    if (this._state === 'stopped') return this.finishStop(); // the unREGISTER could not be sent: done anyway
    this.core.logger.warn('sip registration attempt failed', { aor: this.opts.aor, registrar: this.registrar, status, reason });
    this.triedInRound++;
    const failover = status >= 500 || status === 408 || status === 403;
    if (failover && this.triedInRound < this.opts.registrars.length) {
      const from = this.registrar;
      this.newRegistrar((this.index + 1) % this.opts.registrars.length);
      this.emit('failover', from, this.registrar, status);
      return this.send(this.expiresS);
    }
    this._state = 'retrying';
    this.triedInRound = 0;
    const baseS = this.opts.retryAfterS ?? 30;
    const backoffS = Math.min(baseS * 2 ** this.failedRounds, Math.max(this.opts.retryMaxS ?? baseS, baseS));
    this.failedRounds++;
    const waitS = Math.max(backoffS, Math.min(retryAfterS ?? 0, 3600));
    this.emit('failed', status, reason, waitS);
    // A new round starts at the first registrar again.
    const next = failover ? 0 : this.index;
    this.timer = this.core.clock.setTimer(waitS * 1000, () => {
      if (next !== this.index) this.newRegistrar(next);
      this.send(this.expiresS);
    });
  }
}

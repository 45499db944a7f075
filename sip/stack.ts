/** The SIP user-agent core: wires transport, transactions, dialogs and invite sessions (RFC 3261 8, 12). */
import net from 'node:net';
import { SystemClock, type Clock } from './clock.ts';
import { SourceLogThrottle } from './rate-limit/source-log-throttle.ts';
import { ALLOWED_METHODS, dialogId, SUPPORTED_OPTION_TAGS, type UaCore } from './core.ts';
import type { Dialog } from './dialog.ts';
import { formatVia, parseNameAddr, parseUnsigned } from './grammar.ts';
import { newBranch, newTag } from './ids.ts';
import { IncomingInvite } from './incoming-invite.ts';
import type { Logger } from './logger.ts';
import { createResponse, type SipMessage, type SipRequest, type SipResponse } from './message.ts';
import { OutgoingInvite, type OutgoingInviteOptions } from './outgoing-invite.ts';
import type { ParseOutcome } from './parser.ts';
import { moveLargeRequestToTcp, resolveUri, responseDestination, stampTopVia, WsFlows } from './routing.ts';
import { TransactionLayer } from './transaction/layer.ts';
import { DEFAULT_TIMERS, type ClientTransaction, type ClientTransactionUser, type ServerTransaction, type TimerValues } from './transaction/types.ts';
import { NetTransport, type Endpoint, type RateLimitOptions, type SipTransport, type Source, type TlsTransportOptions,
  type TransportName, type TransportStats, type WsTransportOptions } from './transport.ts';
import { typedEmitter } from './typed-emitter.ts';
import { decideAsUas, RFC_MIN_SE } from './session/session-timer.ts';
import type { RegisterHandler, SipReply } from './registrar/types.ts';

export interface SipStackOptions {
  /** Local address to bind, e.g. '127.0.0.1' or '0.0.0.0'. Required. */
  bindAddress: string;
  /** UDP and TCP listen port; 0 lets the OS choose. Default 5060. */
  port?: number;
  /** Host written in Via/Contact. Default: bindAddress. */
  advertisedAddress?: string;
  /** Which of 'udp' and 'tcp' to open. Default ['udp', 'tcp']. TLS and WS open when configured below. */
  transports?: TransportName[];
  /** SIP over TLS: port (default 5061), certFile, keyFile, caFile?, verifyPeer? (default true). Off by default. */
  tls?: TlsTransportOptions;
  /** SIP over WebSocket (RFC 7118, ws://): port (default 8080), path (default '/'). Off by default. */
  ws?: WsTransportOptions;
  /** SIP over secure WebSocket (wss://, Via WSS) with the `tls` certificate: port (default 8443), path (default '/'). */
  wss?: WsTransportOptions;
  /**
   * Per-source-IP token bucket applied before parsing: perSourcePerSecond (messages/s, default
   * 1000), burst (messages, default 2000), logIntervalMs (default 10000). `false` disables it.
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * Close TCP/TLS/WS connections idle (no bytes either way) this many ms; 0 = never. Default
   * 3600000 (1 h): long enough that a quiet call's connection to a terminal behind NAT survives.
   */
  idleTimeoutMs?: number;
  /** Concurrent inbound connections per source address, per transport (TCP, TLS, WS). Default 256. */
  maxConnectionsPerSource?: number;
  /**
   * RFC 5626 4.4.1 keepalives on TCP/TLS connections we opened: intervalMs between CRLFCRLF pings
   * (0 = off, the default; 95000-120000 suits NAT), pongTimeoutMs before the flow counts as failed
   * and is closed (default 10000, the RFC's value).
   */
  keepalive?: { intervalMs?: number; pongTimeoutMs?: number };
  /** Path MTU in bytes for RFC 3261 18.1.1 (requests over MTU-200 go over TCP); default unknown → 1300-byte limit. */
  pathMtu?: number;
  /** Timer bases in ms: T1 500, T2 4000, T4 5000 (RFC 3261 17.1.1.1); td = Timer D, default 32000. */
  timers?: { t1Ms?: number; t2Ms?: number; t4Ms?: number; tdMs?: number };
  /** User-Agent / Server header value. Default 'roomgate'. */
  userAgent?: string;
  logger: Logger;
  /** Time source; default the system clock (tests inject a ManualClock). */
  clock?: Clock;
  /**
   * Session timers (RFC 4028): minSeSeconds = smallest Session-Expires accepted (seconds, default
   * 90, the RFC's floor; DEVIATION(RFC 4028 4) when set lower, allowed for tests only).
   */
  sessionTimers?: { minSeSeconds?: number };
}

/**
 * Decides whether an out-of-dialog request (not ACK/CANCEL/REGISTER) may proceed; a refusal names
 * the response (e.g. a DigestAuthenticator's 401/407 challenge, RFC 3261 22.1).
 */
export type RequestAuthorizer = (req: SipRequest, src: Source) =>
  { allow: true; user?: string } | { allow: false; status: number; reason?: string; headers?: { name: string; value: string }[]; why?: string };

export interface SipStackEvents {
  invite: (invite: IncomingInvite) => void;
}

const SUPPORTED_EXTENSIONS: string[] = SUPPORTED_OPTION_TAGS;

/** Request-URI schemes answered here (RFC 3261 19.1, RFC 3966 tel for gateways); others get 416. */
const SERVED_URI_SCHEME = /^(sips?|tel):/i;

export class SipStack extends typedEmitter<SipStackEvents>() implements UaCore {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly userAgent: string;
  readonly advertisedHost: string;
  readonly minSessionExpires: number;
  private transport!: SipTransport;
  private layer!: TransactionLayer;
  private readonly dialogs = new Map<string, Dialog>();
  private readonly pendingInvites = new Map<string, IncomingInvite>();
  private readonly outgoing = new Set<OutgoingInvite>();
  private closed = false;
  private authorizer?: RequestAuthorizer;
  /** The user each authorized request authenticated as (see authenticatedUser). */
  private readonly authUsers = new WeakMap<SipRequest, string>();
  private registrar?: RegisterHandler;
  private requestsMovedToTcp = 0;
  /** Messages that could not be parsed and were dropped (counted even when their log line is held back). */
  private unparseableDropped = 0;
  /** Requests answered 400-class by the parser checks (counted even when their log line is held back). */
  private malformedRejected = 0;
  private readonly wsFlows = new WsFlows();
  /** Bad input (drops, 400s) is logged a bounded number of times per source, not per message (issue #3 acceptance 5). */
  private readonly badInputLog: SourceLogThrottle;

  private constructor(private readonly opts: SipStackOptions) {
    super();
    this.logger = opts.logger;
    this.clock = opts.clock ?? new SystemClock();
    const t = opts.timers ?? {};
    this.timers = { t1: t.t1Ms ?? DEFAULT_TIMERS.t1, t2: t.t2Ms ?? DEFAULT_TIMERS.t2,
      t4: t.t4Ms ?? DEFAULT_TIMERS.t4, td: t.tdMs ?? DEFAULT_TIMERS.td };
    this.userAgent = opts.userAgent ?? 'roomgate';
    this.advertisedHost = opts.advertisedAddress ?? opts.bindAddress;
    this.minSessionExpires = opts.sessionTimers?.minSeSeconds ?? RFC_MIN_SE;
    this.badInputLog = new SourceLogThrottle({}, () => this.clock.now());
  }

  static async start(opts: SipStackOptions): Promise<SipStack> {
    const stack = new SipStack(opts);
    stack.transport = await NetTransport.start({
      bindAddress: opts.bindAddress, port: opts.port ?? 5060, transports: opts.transports ?? ['udp', 'tcp'],
      tls: opts.tls, ws: opts.ws, wss: opts.wss, rateLimit: opts.rateLimit ?? {}, idleTimeoutMs: opts.idleTimeoutMs ?? 3_600_000,
      maxConnectionsPerSource: opts.maxConnectionsPerSource ?? 256, clock: stack.clock,
      keepaliveIntervalMs: opts.keepalive?.intervalMs ?? 0, keepalivePongTimeoutMs: opts.keepalive?.pongTimeoutMs ?? 10_000,
      logger: opts.logger, sink: { onParsed: (o, src) => stack.onParsed(o, src) },
    });
    stack.layer = new TransactionLayer({ clock: stack.clock, timers: stack.timers, logger: opts.logger, transport: stack.transport });
    return stack;
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return this.transport.port;
  }

  /** The local port of one transport (TLS and WS listen on their own). */
  portFor(transport: TransportName): number {
    return this.transport.portFor(transport);
  }

  /** Checks every new out-of-dialog request but ACK, CANCEL and REGISTER; undefined: none. */
  /** The user a request authenticated as through the request authorizer, e.g. `invite.request`. */
  authenticatedUser(req: SipRequest): string | undefined {
    return this.authUsers.get(req);
  }

  setRequestAuthorizer(fn: RequestAuthorizer | undefined): void {
    this.authorizer = fn;
  }

  /** Out-of-dialog REGISTER goes to `handler` (e.g. a Registrar); without one it gets 405. */
  setRegistrar(handler: RegisterHandler | undefined): void {
    this.registrar = handler;
  }

  invite(opts: OutgoingInviteOptions): OutgoingInvite {
    const out = new OutgoingInvite(this, opts);
    if (this.closed) out.abort();
    this.outgoing.add(out);
    out.result.then(() => this.outgoing.delete(out), () => this.outgoing.delete(out));
    return out;
  }

  stats(): { serverTransactions: number; clientTransactions: number; dialogs: number } {
    return { serverTransactions: this.layer.serverCount, clientTransactions: this.layer.clientCount, dialogs: this.dialogs.size };
  }

  /**
   * Transport counters, apart from stats() so its shape (compared whole in tests) stays fixed:
   * rate-limited drops and sources, refused connections, open connections per transport, and
   * requests moved from UDP to TCP for size (RFC 3261 18.1.1), unparseable messages dropped and
   * malformed requests rejected (their log lines are throttled per source; these count them all).
   */
  transportStats(): TransportStats & { requestsMovedToTcp: number; unparseableDropped: number; malformedRejected: number } {
    return { ...this.transport.stats(), requestsMovedToTcp: this.requestsMovedToTcp,
      unparseableDropped: this.unparseableDropped, malformedRejected: this.malformedRejected };
  }

  /** Idempotent: ends dialogs locally (no BYE), clears every transaction, timer and socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const inv of this.pendingInvites.values()) inv.abort();
    this.pendingInvites.clear();
    for (const out of this.outgoing) out.abort();
    this.outgoing.clear();
    for (const d of [...this.dialogs.values()]) d.end({ by: 'local', reason: 'SIP stack closed' });
    this.dialogs.clear();
    this.layer.closeAll();
    if (this.clock instanceof SystemClock) this.clock.cancelAll();
    await this.transport.close();
  }

  // ---- UaCore -------------------------------------------------------------------------------

  contactUri(transport: TransportName): string {
    const host = net.isIPv6(this.advertisedHost) ? `[${this.advertisedHost}]` : this.advertisedHost;
    // RFC 7118 5.2: the URI transport param is "ws" for both WS and WSS.
    const param = transport === 'udp' ? '' : `;transport=${transport === 'wss' ? 'ws' : transport}`;
    return `sip:${host}:${this.transport.portFor(transport)}${param}`;
  }

  addVia(req: SipRequest, transport: TransportName): string {
    const branch = newBranch();
    // RFC 3581 3: ask for rport so responses reach us through NAT.
    req.headers.prepend('Via', formatVia({ protocol: 'SIP/2.0', transport: transport.toUpperCase(),
      host: this.advertisedHost, port: this.transport.portFor(transport), params: new Map([['branch', branch], ['rport', null]]) }));
    return branch;
  }

  sendRequest(req: SipRequest, dest: Endpoint, user: ClientTransactionUser): ClientTransaction | undefined {
    if (this.closed) {
      user.onTransportError(new Error('SIP stack closed'));
      return undefined;
    }
    const chosen = this.transport.transports.includes('tcp') ? moveLargeRequestToTcp(req, dest, this.opts.pathMtu) : dest;
    if (chosen !== dest) {
      this.requestsMovedToTcp++;
      this.logger.debug('sip request too large for UDP, sent over TCP (RFC 3261 18.1.1)', { callId: req.callId, method: req.method });
    }
    return this.layer.sendRequest(req, chosen, user);
  }

  sendDirect(msg: SipMessage, dest: Endpoint & { connectionId?: number }): void {
    if (this.closed) return;
    this.transport.send(msg, dest).catch((err: Error) =>
      this.logger.warn('sip send failed', { callId: msg.callId, address: dest.address, port: dest.port, err: err.message }));
  }

  resolveTarget(uri: string, transport: TransportName): Promise<Endpoint> {
    return resolveUri(uri, transport, this.wsFlows);
  }

  decorate(msg: SipMessage): void {
    if (msg.isRequest) {
      if (!msg.headers.has('user-agent')) msg.headers.append('User-Agent', this.userAgent);
      if (msg.method === 'INVITE' && !msg.headers.has('allow')) msg.headers.append('Allow', ALLOWED_METHODS.join(', '));
      // RFC 3262 4 / RFC 4028 7.1: advertise 100rel and timer in INVITEs.
      if (msg.method === 'INVITE' && !msg.headers.has('supported')) msg.headers.append('Supported', SUPPORTED_OPTION_TAGS.join(', '));
    } else if (!msg.headers.has('server')) {
      msg.headers.append('Server', this.userAgent);
    }
  }

  rememberDialog(dialog: { id: string }): void {
    this.dialogs.set(dialog.id, dialog as Dialog);
  }

  forgetDialog(dialog: { id: string }): void {
    if (this.dialogs.get(dialog.id) === dialog) this.dialogs.delete(dialog.id);
  }

  // ---- inbound ------------------------------------------------------------------------------

  private onParsed(outcome: ParseOutcome, src: Source): void {
    if (this.closed) return;
    try {
      if (outcome.kind === 'drop') {
        this.unparseableDropped++;
        const suppressed = this.badInputLog.admit(src.address);
        if (suppressed !== undefined) {
          this.logger.warn('sip message dropped', { transport: src.transport, address: src.address, port: src.port, reason: outcome.error.message,
            ...(suppressed > 0 ? { suppressedSinceLastLine: suppressed } : {}) });
        }
      } else if (outcome.kind === 'reject') {
        this.rejectMalformed(outcome.request, outcome.error.status, outcome.error.message, src);
      } else if (outcome.message.isRequest) {
        this.onRequest(outcome.message, src);
      } else {
        this.onResponse(outcome.message, src);
      }
    } catch (err) {
      // Last line of defence: bad input must never escape to the socket handler.
      this.logger.error('sip message handling failed', { address: src.address, port: src.port, err: (err as Error).message });
    }
  }

  /** RFC 3261 8.2 / 21.4.1: a 400 naming the problem, sent statelessly; ACK is never answered. */
  private rejectMalformed(req: SipRequest, status: number, reason: string, src: Source): void {
    this.malformedRejected++;
    const suppressed = this.badInputLog.admit(src.address);
    if (suppressed !== undefined) {
      this.logger.warn('sip malformed request rejected', { address: src.address, port: src.port, method: req.method, status, reason,
        ...(suppressed > 0 ? { suppressedSinceLastLine: suppressed } : {}) });
    }
    if (req.method === 'ACK') return;
    stampTopVia(req, src);
    const res = createResponse(req, status, reason, newTag());
    this.decorate(res);
    this.sendDirect(res, responseDestination(req, src));
  }

  private onRequest(req: SipRequest, src: Source): void {
    stampTopVia(req, src);
    this.wsFlows.learn(req, src); // RFC 7118 5.2: requests back to a WS client reuse its connection
    const existing = this.layer.matchRequest(req);
    if (existing) return existing.receive(req);
    if (req.method === 'ACK') return this.onStrayAck(req);
    const tx = this.layer.createServer(req, src);
    try {
      this.dispatch(req, tx, src);
    } catch (err) {
      // An exception (ours or an application listener's) must not leave the transaction pending.
      this.logger.error('sip request handling failed', { callId: req.callId, method: req.method, err: (err as Error).message });
      this.pendingInvites.delete(tx.key);
      this.respond(tx, req, 500);
    }
  }

  private dispatch(req: SipRequest, tx: ServerTransaction, src: Source): void {
    // RFC 3261 16.3 step 2 applied at the edge: Max-Forwards 0 is refused (OPTIONS is answered, 11).
    if (parseUnsigned(req.headers.get('max-forwards') ?? '70') === 0 && req.method !== 'OPTIONS') {
      return this.respond(tx, req, 483);
    }
    // RFC 3261 8.2.2.1: a Request-URI scheme the UAS does not serve gets 416 (RFC 4475 3.3.2, 3.3.3).
    if (!SERVED_URI_SCHEME.test(req.uri)) return this.respond(tx, req, 416);
    if (this.rejectsExtensions(req, tx)) return;
    const toTag = req.to.params.get('tag');
    if (req.method === 'CANCEL') return this.onCancel(req, tx);
    if (req.method === 'REGISTER' && toTag === undefined && this.registrar) {
      return this.reply(tx, req, this.registrar.handleRegister(req, src));
    }
    if (req.method === 'OPTIONS') return this.respondOptions(req, tx);
    if (!ALLOWED_METHODS.includes(req.method)) {
      return this.respond(tx, req, 405, undefined, { Allow: ALLOWED_METHODS.join(', ') }); // RFC 3261 8.2.1
    }
    if (toTag === undefined && this.refusedByAuthorizer(req, tx, src)) return;
    if (toTag !== undefined) return this.onInDialogRequest(req, tx);
    if (req.method === 'INVITE') return this.onNewInvite(req, tx, src);
    this.respond(tx, req, 481); // BYE / INFO outside any dialog (RFC 3261 12.2.2, 15.1.2)
  }

  /** RFC 3261 8.2.2.3: Require with an option we do not support → 420 with Unsupported. */
  private rejectsExtensions(req: SipRequest, tx: ServerTransaction): boolean {
    if (req.method === 'CANCEL') return false;
    const unsupported = req.headers.getAll('require').filter((o) => !SUPPORTED_EXTENSIONS.includes(o.toLowerCase()));
    if (unsupported.length === 0) return false;
    this.respond(tx, req, 420, undefined, { Unsupported: unsupported.join(', ') });
    return true;
  }

  /** RFC 3261 22.1: a refused request is answered (typically 401/407 with challenges). */
  private refusedByAuthorizer(req: SipRequest, tx: ServerTransaction, src: Source): boolean {
    const decision = this.authorizer?.(req, src);
    if (!decision) return false;
    if (decision.allow) {
      if (decision.user !== undefined) this.authUsers.set(req, decision.user);
      return false;
    }
    this.logger.debug('sip request not authorized', { callId: req.callId, method: req.method, address: src.address,
      status: decision.status, why: decision.why });
    this.reply(tx, req, decision);
    return true;
  }

  /** Sends a response built from a reply description (headers may repeat, e.g. WWW-Authenticate). */
  private reply(tx: ServerTransaction, req: SipRequest, r: SipReply): void {
    const res = createResponse(req, r.status, r.reason, newTag());
    for (const h of r.headers ?? []) res.headers.append(h.name, h.value);
    this.decorate(res);
    tx.respond(res);
  }

  private respond(tx: ServerTransaction, req: SipRequest, status: number, reason?: string,
    headers?: Record<string, string>): void {
    const res = createResponse(req, status, reason, newTag());
    for (const [k, v] of Object.entries(headers ?? {})) res.headers.append(k, v);
    this.decorate(res);
    tx.respond(res);
  }

  /** RFC 3261 11.2: capabilities. */
  private respondOptions(req: SipRequest, tx: ServerTransaction): void {
    this.respond(tx, req, 200, undefined, {
      Allow: ALLOWED_METHODS.join(', '), Accept: 'application/sdp', 'Accept-Language': 'en',
      Supported: SUPPORTED_EXTENSIONS.join(', '),
    });
  }

  private onInDialogRequest(req: SipRequest, tx: ServerTransaction): void {
    const dialog = this.findDialog(req);
    if (dialog) return dialog.receiveRequest(req, tx);
    // RFC 3262 3 / RFC 3311 5.2: PRACK and UPDATE may arrive in the early dialog of a pending INVITE.
    const toTag = req.to.params.get('tag');
    const early = [...this.pendingInvites.values()].find((i) => i.callId === req.callId && i.localTag === toTag);
    if (early && (req.method === 'PRACK' || req.method === 'UPDATE')) return early.receiveEarlyRequest(req, tx);
    this.respond(tx, req, 481); // RFC 3261 12.2.2
  }

  private findDialog(req: SipRequest): Dialog | undefined {
    const local = req.to.params.get('tag') ?? '';
    const remote = req.from.params.get('tag') ?? '';
    return this.dialogs.get(dialogId(req.callId, local, remote));
  }

  /** ACK for a 2xx has its own branch and goes to the dialog (RFC 3261 13.3.1.4, 17.2.3). */
  private onStrayAck(ack: SipRequest): void {
    const dialog = this.findDialog(ack);
    if (dialog) dialog.receiveAck(ack);
    else this.logger.debug('sip ACK matches no dialog, dropped', { callId: ack.callId });
  }

  private onNewInvite(req: SipRequest, tx: ServerTransaction, src: Source): void {
    const ct = req.headers.get('content-type')?.toLowerCase();
    if (req.body.length > 0 && ct !== undefined && !ct.startsWith('application/sdp')) {
      return this.respond(tx, req, 415, undefined, { Accept: 'application/sdp' }); // RFC 3261 21.4.13
    }
    // RFC 4028 8.1: a Session-Expires below our Min-SE gets 422 naming it.
    const timer = decideAsUas(req, this.minSessionExpires);
    if (timer.kind === 'too-small') return this.respond(tx, req, 422, undefined, { 'Min-SE': String(timer.minSe) });
    // RFC 3261 17.2.1: 100 Trying at once, so retransmissions are answered by the transaction.
    tx.respond(createResponse(req, 100));
    if (this.listenerCount('invite') === 0) return this.respond(tx, req, 480);
    const key = tx.key;
    const invite = new IncomingInvite(this, req, tx, src, () => this.pendingInvites.delete(key));
    this.pendingInvites.set(key, invite);
    tx.user = { onTransportError: () => this.pendingInvites.delete(key) };
    this.emit('invite', invite);
  }

  /** RFC 3261 9.2: 200 to the CANCEL and 487 to the INVITE; 481 when nothing matches. */
  private onCancel(cancel: SipRequest, tx: ServerTransaction): void {
    const inviteTx = this.layer.matchCancelled(cancel);
    if (!inviteTx) return this.respond(tx, cancel, 481);
    const invite = this.pendingInvites.get(inviteTx.key);
    const res = createResponse(cancel, 200, undefined, invite?.localTag ?? newTag());
    this.decorate(res);
    tx.respond(res);
    invite?.cancelled();
  }

  private onResponse(res: SipResponse, src: Source): void {
    const tx = this.layer.matchResponse(res);
    // RFC 6026 7.2: 2xx retransmissions reach the UAC through the transaction's Accepted state
    // (Timer M = 64·T1, as long as the UAS retransmits), so a response matching nothing is stray.
    if (tx) return tx.receive(res);
    this.logger.debug('sip response matches no transaction, dropped', { callId: res.callId, status: res.status, address: src.address });
  }
}

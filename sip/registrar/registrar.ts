/**
 * A registrar (RFC 3261 10.3): bindings per address-of-record with expiry, driven by the stack's
 * REGISTER requests and an injected clock. Lookups serve the gateway ("dial a room by name").
 */
import type { DigestAuthenticator } from '../auth/authenticator.ts';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { SipRequest } from '../message.ts';
import type { Source } from '../transport.ts';
import { typedEmitter } from '../typed-emitter.ts';
import { canonicalAor, contactKey } from './aor.ts';
import { readContacts, type RequestedContact } from './contacts.ts';
import type { Binding, RegisterHandler, SipReply } from './types.ts';

export interface RegistrarOptions {
  clock: Clock;
  logger: Logger;
  /** Domains whose AORs we hold (host part of the Request-URI and To). Empty/absent: any. */
  domains?: string[];
  /** Digest authentication of every REGISTER (RFC 3261 10.3 step 3). Absent: no authentication. */
  authenticator?: DigestAuthenticator;
  /** May `user` change the bindings of `aor`? (RFC 3261 10.3 step 4). Default: the AOR's user part equals `user`. */
  mayRegister?(user: string, aor: string): boolean;
  /** Shortest accepted expiry in s; shorter non-zero requests get 423 (RFC 3261 10.3 step 7). Default 60. */
  minExpiresS?: number;
  /** Longest granted expiry in s; longer requests are shortened. Default 3600. */
  maxExpiresS?: number;
  /** Expiry in s when the request names none. Default 3600. */
  defaultExpiresS?: number;
  /** Contacts kept per AOR; a REGISTER that would exceed it gets 403. Default 10. */
  maxBindingsPerAor?: number;
  /** AORs kept at all; a new AOR beyond it gets 503. Default 10000. */
  maxAors?: number;
}

export interface RegistrarEvents {
  /** The bindings of `aor` changed (added, refreshed, removed or expired); `bindings` is the new set. */
  changed: (aor: string, bindings: Binding[]) => void;
}

interface Entry {
  binding: Binding;
  timer: TimerHandle;
}

export class Registrar extends typedEmitter<RegistrarEvents>() implements RegisterHandler {
  private readonly byAor = new Map<string, Map<string, Entry>>();
  private minExpires = 60;
  private maxExpires = 3600;
  private defaultExpires = 3600;

  constructor(private opts: RegistrarOptions) {
    super();
    this.setLimits();
  }

  /**
   * Replaces authentication, domains and expiry limits for the next REGISTER (config reload);
   * existing bindings and their timers are kept.
   */
  reconfigure(changes: Pick<RegistrarOptions, 'authenticator' | 'domains' | 'mayRegister' | 'minExpiresS' | 'maxExpiresS' | 'defaultExpiresS'>): void {
    this.opts = { ...this.opts, ...changes };
    this.setLimits();
  }

  private setLimits(): void {
    const opts = this.opts;
    this.minExpires = opts.minExpiresS ?? 60;
    this.maxExpires = Math.max(opts.maxExpiresS ?? 3600, this.minExpires);
    this.defaultExpires = Math.min(Math.max(opts.defaultExpiresS ?? 3600, this.minExpires), this.maxExpires);
  }

  /** Current bindings of an AOR (any URI form, or a bare user when one domain is configured), best q first. */
  lookup(aor: string): Binding[] {
    const key = this.aorKey(aor);
    const entries = key === undefined ? undefined : this.byAor.get(key);
    if (!entries) return [];
    return [...entries.values()].map((e) => ({ ...e.binding }))
      .sort((a, b) => (b.q ?? 1) - (a.q ?? 1) || b.expiresAt - a.expiresAt);
  }

  /** Every AOR with at least one binding. */
  aors(): string[] {
    return [...this.byAor.keys()];
  }

  /** Drops every binding and timer; idempotent. */
  close(): void {
    for (const entries of this.byAor.values()) for (const e of entries.values()) e.timer.cancel();
    this.byAor.clear();
  }

  /** RFC 3261 10.3: the registrar's procedure, steps 1-8; returns the response to send. */
  handleRegister(req: SipRequest, src: Source): SipReply {
    const ctx = { callId: req.callId, address: src.address, port: src.port };
    const reply = this.process(req, src);
    if (reply.status >= 300 && reply.status !== 401 && reply.status !== 407) {
      this.opts.logger.warn('sip REGISTER refused', { ...ctx, status: reply.status, reason: reply.reason });
    }
    return reply;
  }

  private process(req: SipRequest, src: Source): SipReply {
    // Step 1: the Request-URI must name a domain we serve.
    if (!this.servesDomain(req.uri)) return { status: 403, reason: 'Domain Not Served Here' };
    // Step 3: authentication (RFC 3261 22: registrars use 401).
    let user: string | undefined;
    if (this.opts.authenticator) {
      const decision = this.opts.authenticator.authorize(req);
      if (!decision.allow) {
        // A first REGISTER without credentials is the normal challenge round; failed credentials are worth a line.
        if (req.headers.has('authorization')) {
          this.opts.logger.warn('sip REGISTER authentication failed', { callId: req.callId, address: src.address, port: src.port, why: decision.why });
        }
        return { status: decision.status, headers: decision.headers };
      }
      user = decision.user;
    }
    // Step 5: the AOR is the To URI.
    let aor: string | undefined;
    try {
      aor = canonicalAor(req.to.uri);
    } catch {
      aor = undefined;
    }
    if (aor === undefined || !this.servesDomain(aor)) return { status: 404, reason: 'Not Found' };
    // Step 4: may this user touch this AOR?
    if (user !== undefined && !this.mayRegister(user, aor)) return { status: 403, reason: 'Not Allowed For This AOR' };
    let cseq: number;
    try {
      cseq = req.cseq.seq;
    } catch {
      return { status: 400, reason: 'Bad CSeq' };
    }
    const wanted = readContacts(req, this.defaultExpires);
    if (wanted.kind === 'invalid') return { status: 400, reason: wanted.reason };
    if (wanted.kind === 'remove-all') {
      const r = this.removeAll(aor, req.callId, cseq);
      if (r) return r;
    } else if (wanted.kind === 'update') {
      const r = this.update(aor, wanted.contacts, { callId: req.callId, cseq, src, user });
      if (r) return r;
    }
    return this.okListing(aor);
  }

  /** RFC 3261 10.3 step 6: Contact "*" removes every binding unless one is newer (same Call-ID, CSeq not lower). */
  private removeAll(aor: string, callId: string, cseq: number): SipReply | undefined {
    const entries = this.byAor.get(aor);
    if (!entries) return undefined;
    for (const e of entries.values()) {
      if (e.binding.callId === callId && e.binding.cseq >= cseq) return { status: 500, reason: 'Out Of Order REGISTER' };
    }
    for (const e of entries.values()) e.timer.cancel();
    this.byAor.delete(aor);
    this.emit('changed', aor, []);
    return undefined;
  }

  /** RFC 3261 10.3 steps 7-8, atomically: every contact is checked before any binding changes. */
  private update(aor: string, contacts: RequestedContact[],
    meta: { callId: string; cseq: number; src: Source; user?: string }): SipReply | undefined {
    const existing = this.byAor.get(aor) ?? new Map<string, Entry>();
    for (const c of contacts) {
      // Step 7: too brief → 423 with Min-Expires (RFC 3261 20.23, 21.4.17).
      if (c.expires !== 0 && c.expires < this.minExpires) {
        return { status: 423, reason: 'Interval Too Brief', headers: [{ name: 'Min-Expires', value: String(this.minExpires) }] };
      }
      const old = existing.get(contactKey(c.uri));
      // Step 8: same Call-ID needs a higher CSeq, else the request fails.
      if (old && old.binding.callId === meta.callId && old.binding.cseq >= meta.cseq) {
        return { status: 500, reason: 'Out Of Order REGISTER' };
      }
    }
    const added = contacts.filter((c) => c.expires > 0 && !existing.has(contactKey(c.uri))).length;
    const removed = contacts.filter((c) => c.expires === 0 && existing.has(contactKey(c.uri))).length;
    if (existing.size + added - removed > (this.opts.maxBindingsPerAor ?? 10)) return { status: 403, reason: 'Too Many Contacts' };
    if (!this.byAor.has(aor) && added > 0 && this.byAor.size >= (this.opts.maxAors ?? 10000)) {
      return { status: 503, reason: 'Registrar Full', headers: [{ name: 'Retry-After', value: '60' }] };
    }
    for (const c of contacts) this.apply(aor, existing, c, meta);
    if (existing.size > 0) this.byAor.set(aor, existing);
    else this.byAor.delete(aor);
    this.emit('changed', aor, this.lookup(aor));
    return undefined;
  }

  private apply(aor: string, entries: Map<string, Entry>, c: RequestedContact,
    meta: { callId: string; cseq: number; src: Source; user?: string }): void {
    const key = contactKey(c.uri);
    const old = entries.get(key);
    old?.timer.cancel();
    if (c.expires === 0) {
      entries.delete(key);
      return;
    }
    const seconds = Math.min(c.expires, this.maxExpires);
    const binding: Binding = { aor, contact: c.uri, expiresAt: this.opts.clock.now() + seconds * 1000, q: c.q,
      callId: meta.callId, cseq: meta.cseq, source: { ...meta.src }, user: meta.user };
    const timer = this.opts.clock.setTimer(seconds * 1000, () => this.expire(aor, key, binding));
    entries.set(key, { binding, timer });
  }

  /** A binding's time ran out: it is removed (RFC 3261 10.2.1.1 "expiration"). */
  private expire(aor: string, key: string, binding: Binding): void {
    const entries = this.byAor.get(aor);
    if (!entries || entries.get(key)?.binding !== binding) return;
    entries.delete(key);
    if (entries.size === 0) this.byAor.delete(aor);
    this.opts.logger.info('sip registration expired', { aor, contact: binding.contact });
    this.emit('changed', aor, this.lookup(aor));
  }

  /** RFC 3261 10.3 step 8: 200 listing every current binding with its remaining expires. */
  private okListing(aor: string): SipReply {
    const now = this.opts.clock.now();
    const headers = this.lookup(aor).map((b) => ({
      name: 'Contact',
      value: `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}${b.q !== undefined ? `;q=${b.q}` : ''}`,
    }));
    headers.push({ name: 'Date', value: new Date().toUTCString() }); // RFC 3261 20.17 (wall clock, not the injected one)
    return { status: 200, headers };
  }

  private servesDomain(uri: string): boolean {
    const domains = this.opts.domains;
    if (!domains || domains.length === 0) return true;
    const at = uri.lastIndexOf('@');
    const colon = uri.indexOf(':');
    const hostPart = uri.slice(at >= 0 ? at + 1 : colon + 1).split(/[;:?>]/)[0].toLowerCase().replace(/^\[|\]$/g, '');
    return domains.some((d) => d.toLowerCase() === hostPart);
  }

  private mayRegister(user: string, aor: string): boolean {
    if (this.opts.mayRegister) return this.opts.mayRegister(user, aor);
    const u = aor.slice(aor.indexOf(':') + 1, aor.lastIndexOf('@'));
    return u === user;
  }

  private aorKey(aor: string): string | undefined {
    if (aor.includes(':')) return canonicalAor(aor);
    const domains = this.opts.domains ?? [];
    if (domains.length === 1) return `sip:${aor}@${domains[0].toLowerCase()}`;
    // A bare user name with several (or no) domains: the first AOR with that user.
    for (const key of this.byAor.keys()) if (key.slice(key.indexOf(':') + 1, key.lastIndexOf('@')) === aor) return key;
    return undefined;
  }
}

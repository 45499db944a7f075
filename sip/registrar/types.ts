/** Contracts between the registrar, the stack and the gateway. */
import type { Source } from '../transport.ts';

/** A response the stack should send: status, optional reason, extra headers in order. */
export interface SipReply {
  status: number;
  reason?: string;
  headers?: { name: string; value: string }[];
}

/** One Contact bound to an address-of-record (RFC 3261 10.3 step 7). */
export interface Binding {
  /** Canonical AOR, e.g. 'sip:alice@gw.example' (RFC 3261 10.3 step 5). */
  aor: string;
  /** The Contact URI as registered (without header parameters). */
  contact: string;
  /** Absolute expiry, ms on the registrar's clock. */
  expiresAt: number;
  /** Contact `q` preference, 0..1 (RFC 3261 20.10); undefined when absent. */
  q?: number;
  callId: string;
  cseq: number;
  /** Where the REGISTER came from: the reachable address behind a NAT (RFC 3581 spirit). */
  source: Source;
  /** The user the request authenticated as, when authentication is on. */
  user?: string;
}

/** What the stack hands REGISTER requests to (sip/stack.ts `setRegistrar`). */
export interface RegisterHandler {
  handleRegister(req: import('../message.ts').SipRequest, src: Source): SipReply;
}

/** What dialogs and invite sessions need from the user-agent core (the stack). */
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import type { SipMessage, SipRequest } from './message.ts';
import type { ClientTransaction, ClientTransactionUser, TimerValues } from './transaction/types.ts';
import type { Endpoint, TransportName } from './transport.ts';

export interface UaCore {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly timers: TimerValues;
  readonly userAgent: string;
  /** Host written in Via/Contact. */
  readonly advertisedHost: string;
  /** Our Contact URI for a transport (RFC 3261 8.1.1.8). */
  contactUri(transport: TransportName): string;
  /** Adds a top Via with a fresh branch for `transport`, returning the branch. */
  addVia(req: SipRequest, transport: TransportName): string;
  /** Sends `req` in a new client transaction (Via must already be set). */
  sendRequest(req: SipRequest, dest: Endpoint, user: ClientTransactionUser): ClientTransaction | undefined;
  /** Sends outside any transaction: ACK for 2xx, 2xx retransmissions (RFC 3261 13.2.2.4, 13.3.1.4). */
  sendDirect(msg: SipMessage, dest: Endpoint & { connectionId?: number }): void;
  resolveTarget(uri: string, transport: TransportName): Promise<Endpoint>;
  /** Standard headers every request and response of the stack carries (User-Agent, Allow...). */
  decorate(msg: SipMessage): void;
  forgetDialog(dialog: { id: string }): void;
  rememberDialog(dialog: { id: string }): void;
  /** RFC 4028 5: the smallest Session-Expires we accept, in seconds (default 90). */
  readonly minSessionExpires?: number;
}

// RFC 3311 (UPDATE), RFC 3262 (PRACK).
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'UPDATE', 'PRACK'];

/** Option tags we implement (RFC 3262 100rel, RFC 4028 timer). */
export const SUPPORTED_OPTION_TAGS = ['100rel', 'timer'];

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}

/** What every transaction needs from its environment (RFC 3261 17). */
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message.ts';

/** Timer base values in ms (RFC 3261 17.1.1.1, Table 4). */
export interface TimerValues {
  t1: number;   // RTT estimate, default 500
  t2: number;   // max retransmit interval for non-INVITE requests and INVITE responses, default 4000
  t4: number;   // max time a message stays in the network, default 5000
  td: number;   // Timer D for unreliable transports, at least 32000 (RFC 3261 17.1.1.2)
}

export const DEFAULT_TIMERS: TimerValues = { t1: 500, t2: 4000, t4: 5000, td: 32000 };

export interface TransactionContext {
  clock: Clock;
  timers: TimerValues;
  /** True for TCP: no retransmissions, zero wait timers (RFC 3261 17.1.1.2, 17.2.1). */
  reliable: boolean;
  /** Sends to the transaction's peer; a failure is reported through `onTransportError`. */
  send(msg: SipMessage): void;
  logger: Logger;
  /** Called once when the transaction reaches Terminated, so the layer can forget it. */
  onTerminated(): void;
}

/** The transaction user of a client transaction (RFC 3261 17.1). */
export interface ClientTransactionUser {
  onResponse(res: SipResponse): void;
  /** Timer B or F fired: the TU treats it as a 408 (RFC 3261 8.1.3.1). */
  onTimeout(): void;
  onTransportError(err: Error): void;
}

/** The transaction user of a server transaction (RFC 3261 17.2). */
export interface ServerTransactionUser {
  /** ACK for a 2xx that reached the Accepted state's transaction (RFC 6026 7.1). */
  onAck?(ack: SipRequest): void;
  /** Timer H fired: no ACK for a non-2xx final response (RFC 3261 17.2.1). */
  onTimeout?(): void;
  onTransportError?(err: Error): void;
}

export interface ClientTransaction {
  readonly request: SipRequest;
  readonly key: string;
  readonly state: string;
  receive(res: SipResponse): void;
  /** Transport failure reported by the layer. */
  transportError(err: Error): void;
  terminate(): void;
}

export interface ServerTransaction {
  readonly request: SipRequest;
  readonly key: string;
  readonly state: string;
  user: ServerTransactionUser;
  /** A request matching this transaction (retransmission, or ACK). */
  receive(req: SipRequest): void;
  respond(res: SipResponse): void;
  transportError(err: Error): void;
  terminate(): void;
}

/** RFC 3261 17.1.3: a response matches by top Via branch and CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

/** RFC 3261 17.2.3: branch, sent-by and method (ACK matches the INVITE's transaction). */
export function serverKey(branch: string, sentBy: string, method: string): string {
  return `${branch}|${sentBy}|${method === 'ACK' ? 'INVITE' : method}`;
}

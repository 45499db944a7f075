/** The transaction layer: creates, matches and forgets transactions (RFC 3261 17.1.3, 17.2.3). */
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { SipMessage, SipRequest, SipResponse } from '../message.ts';
import { responseDestination } from '../routing.ts';
import { isReliable, type Endpoint, type SipTransport, type Source } from '../transport.ts';
import { InviteClientTransaction } from './invite-client.ts';
import { InviteServerTransaction } from './invite-server.ts';
import { NonInviteClientTransaction } from './non-invite-client.ts';
import { NonInviteServerTransaction } from './non-invite-server.ts';
import {
  clientKey, serverKey, type ClientTransaction, type ClientTransactionUser, type ServerTransaction,
  type TimerValues, type TransactionContext,
} from './types.ts';

export interface TransactionLayerOptions {
  clock: Clock;
  timers: TimerValues;
  logger: Logger;
  transport: SipTransport;
}

function sentBy(req: SipMessage): string {
  const via = req.topVia;
  return `${via.host}:${via.port ?? ''}`;
}

/**
 * DEVIATION(RFC 3261 17.2.3): RFC 2543 peers without a magic-cookie branch are matched by their
 * branch value, or Call-ID + CSeq number when absent, rather than the full RFC 2543 rules.
 */
function serverBranch(req: SipRequest): string {
  return req.topVia.params.get('branch') ?? `${req.callId}|${req.cseq.seq}`;
}

export class TransactionLayer {
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();

  constructor(private readonly opts: TransactionLayerOptions) {}

  get clientCount(): number {
    return this.clients.size;
  }

  get serverCount(): number {
    return this.servers.size;
  }

  private context(dest: Endpoint & { connectionId?: number }, onTerminated: () => void,
    onSendError: (err: Error) => void): TransactionContext {
    const { clock, timers, logger, transport } = this.opts;
    return {
      clock, timers, logger, onTerminated,
      reliable: isReliable(dest.transport),
      send: (msg) => {
        transport.send(msg, dest).catch((err: Error) => onSendError(err));
      },
    };
  }

  /** Creates and starts a client transaction for `req`, whose top Via carries a fresh branch. */
  sendRequest(req: SipRequest, dest: Endpoint, user: ClientTransactionUser): ClientTransaction {
    const branch = req.topVia.params.get('branch') ?? '';
    const key = clientKey(branch, req.method);
    let tx: InviteClientTransaction | NonInviteClientTransaction | undefined;
    const ctx = this.context(dest, () => this.clients.delete(key), (err) => tx?.transportError(err));
    tx = req.method === 'INVITE'
      ? new InviteClientTransaction(req, key, ctx, user)
      : new NonInviteClientTransaction(req, key, ctx, user);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** RFC 3261 17.1.3 */
  matchResponse(res: SipResponse): ClientTransaction | undefined {
    const branch = res.topVia.params.get('branch');
    if (!branch) return undefined;
    return this.clients.get(clientKey(branch, res.cseq.method));
  }

  /** RFC 3261 17.2.3 */
  matchRequest(req: SipRequest): ServerTransaction | undefined {
    return this.servers.get(serverKey(serverBranch(req), sentBy(req), req.method));
  }

  /** RFC 3261 9.2: the INVITE server transaction a CANCEL refers to (same branch and sent-by). */
  matchCancelled(cancel: SipRequest): ServerTransaction | undefined {
    return this.servers.get(serverKey(serverBranch(cancel), sentBy(cancel), 'INVITE'));
  }

  createServer(req: SipRequest, src: Source): ServerTransaction {
    const key = serverKey(serverBranch(req), sentBy(req), req.method);
    const dest = responseDestination(req, src);
    let tx: ServerTransaction | undefined;
    const ctx = this.context(dest, () => {
      if (this.servers.get(key) === tx) this.servers.delete(key);
    }, (err) => tx?.transportError(err));
    tx = req.method === 'INVITE'
      ? new InviteServerTransaction(req, key, ctx)
      : new NonInviteServerTransaction(req, key, ctx);
    this.servers.set(key, tx);
    return tx;
  }

  closeAll(): void {
    for (const tx of [...this.clients.values(), ...this.servers.values()]) tx.terminate();
    this.clients.clear();
    this.servers.clear();
  }
}

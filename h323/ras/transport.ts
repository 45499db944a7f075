// RAS transport (H.225.0 clause 7): one datagram socket, requests matched to their answers by
// requestSeqNum, retransmission on the RAS timer, RequestInProgress, and the gatekeeper's own
// requests handed to one handler.
import { decodeRas, encodeRas, type IpPort, type RasMessage } from '../asn1/index.ts';
import { systemClock, silentLogger, type Clock, type Logger, type TimerHandle } from './clock.ts';
import { RasClosedError, RasNotUnderstoodError, RasTimeoutError } from './errors.ts';
import type { RasSocket } from './socket.ts';

/** H.225.0 7.x (RAS timers and request retry counts): recommended 3 s and 2 retries. */
export const DEFAULT_RAS_TIMEOUT_MS = 3000;
export const DEFAULT_RAS_RETRIES = 2;

export interface RasTransportOptions {
  socket: RasSocket;
  clock?: Clock;
  logger?: Logger;
  /** Wait for an answer before retransmitting, ms. Default 3000. */
  timeoutMs?: number;
  /** Retransmissions after the first send. Default 2. */
  retries?: number;
}

export interface RasRequestOptions {
  /** Name used in errors and logs (the configured gatekeeper name). Default the address. */
  peerName?: string;
  timeoutMs?: number;
  retries?: number;
}

/** A request the gatekeeper sent us (URQ, IRQ, DRQ, BRQ…), with the way to answer it. */
export interface IncomingRasRequest {
  message: RasMessage;
  from: IpPort;
  reply(answer: RasMessage, to?: IpPort): void;
}

export interface RasTransportStats {
  requestsSent: number;
  retransmissions: number;
  timeouts: number;
  answersMatched: number;
  requestsInProgress: number;
  unmatchedAnswers: number;
  malformedDropped: number;
  incomingRequests: number;
}

interface Pending {
  seq: number;
  type: string;
  stem: string;
  bytes: Uint8Array;
  to: IpPort;
  peerName: string;
  timeoutMs: number;
  retries: number;
  sends: number;
  timer?: TimerHandle;
  resolve(answer: RasMessage): void;
  reject(err: Error): void;
}

const key = (a: IpPort) => `${a.ip}:${a.port}`;

/** `registrationRequest` → `registration`: the stem its Confirm/Reject answers share. */
function stemOf(requestType: string): string {
  return requestType.endsWith('Request') ? requestType.slice(0, -'Request'.length) : requestType;
}

/** Answers a gatekeeper sends to our requests (H.225.0 7.x); everything else is a request to us. */
function isAnswer(type: string): boolean {
  return type.endsWith('Confirm') || type.endsWith('Reject') || type === 'requestInProgress' || type === 'unknownMessageResponse';
}

export class RasTransport {
  private readonly socket: RasSocket;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly pending = new Map<number, Pending>();
  private readonly warnedSources = new Set<string>();
  private nextSeq = 1 + Math.floor(Math.random() * 1000);
  private handler: (req: IncomingRasRequest) => void = () => {};
  private closed = false;
  readonly stats: RasTransportStats = {
    requestsSent: 0, retransmissions: 0, timeouts: 0, answersMatched: 0, requestsInProgress: 0,
    unmatchedAnswers: 0, malformedDropped: 0, incomingRequests: 0,
  };

  constructor(o: RasTransportOptions) {
    this.socket = o.socket;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_RAS_TIMEOUT_MS;
    this.retries = o.retries ?? DEFAULT_RAS_RETRIES;
    this.socket.onMessage((bytes, from) => this.receive(bytes, from));
  }

  localAddress(): IpPort {
    return this.socket.localAddress();
  }

  /** Handler for the gatekeeper's requests; the transport answers nothing by itself. */
  onRequest(fn: (req: IncomingRasRequest) => void): void {
    this.handler = fn;
  }

  /**
   * Sends the request `build(seq)` and resolves with its Confirm or Reject (the caller reads which).
   * Rejects with RasTimeoutError after 1 + retries unanswered sends, RasNotUnderstoodError on XRS.
   */
  request(build: (seq: number) => RasMessage, to: IpPort, o: RasRequestOptions = {}): Promise<RasMessage> {
    if (this.closed) return Promise.reject(new RasClosedError('a RAS request'));
    const seq = this.allocateSeq();
    const msg = build(seq);
    const bytes = encodeRas(msg);
    return new Promise<RasMessage>((resolve, reject) => {
      const p: Pending = {
        seq, type: msg.type, stem: stemOf(msg.type), bytes, to, peerName: o.peerName ?? key(to),
        timeoutMs: o.timeoutMs ?? this.timeoutMs, retries: o.retries ?? this.retries, sends: 0, resolve, reject,
      };
      this.pending.set(seq, p);
      this.transmit(p);
    });
  }

  /** Sends a message that expects no answer (UCF, URJ, IRR, XRS). */
  send(msg: RasMessage, to: IpPort): void {
    if (this.closed) return;
    this.socket.send(encodeRas(msg), to);
  }

  /** Rejects every pending request with RasClosedError and closes the socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      p.timer?.cancel();
      p.reject(new RasClosedError(p.type));
    }
    this.pending.clear();
    this.socket.close();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private allocateSeq(): number {
    // RequestSeqNum ::= INTEGER (1..65535); skip numbers still waiting for an answer.
    for (let i = 0; i < 65535; i++) {
      const seq = this.nextSeq;
      this.nextSeq = seq >= 65535 ? 1 : seq + 1;
      if (!this.pending.has(seq)) return seq;
    }
    throw new RangeError('65535 RAS requests pending');
  }

  /** H.225.0 7.x: a retransmission repeats the request with the same requestSeqNum. */
  private transmit(p: Pending): void {
    p.sends++;
    if (p.sends === 1) this.stats.requestsSent++;
    else this.stats.retransmissions++;
    this.log.debug('ras send', { type: p.type, seq: p.seq, to: key(p.to), attempt: p.sends });
    this.socket.send(p.bytes, p.to);
    this.arm(p, p.timeoutMs);
  }

  private arm(p: Pending, ms: number): void {
    p.timer?.cancel();
    p.timer = this.clock.setTimer(ms, () => this.expire(p));
  }

  private expire(p: Pending): void {
    if (this.pending.get(p.seq) !== p) return;
    if (p.sends <= p.retries) {
      this.transmit(p);
      return;
    }
    this.pending.delete(p.seq);
    this.stats.timeouts++;
    const err = new RasTimeoutError(p.type, `${p.peerName} (${key(p.to)})`, p.sends, p.timeoutMs);
    this.log.warn('ras timeout', { type: p.type, seq: p.seq, gatekeeper: p.peerName, attempts: p.sends });
    p.reject(err);
  }

  private receive(bytes: Uint8Array, from: IpPort): void {
    if (this.closed) return;
    let msg: RasMessage;
    try {
      msg = decodeRas(bytes);
    } catch (err) {
      this.stats.malformedDropped++;
      // Logged once per source so a flood cannot flood the log; always dropped.
      if (!this.warnedSources.has(key(from)) && this.warnedSources.size < 1024) {
        this.warnedSources.add(key(from));
        this.log.warn('ras malformed datagram dropped (further ones from this source are not logged)', {
          from: key(from), bytes: bytes.length, error: (err as Error).message,
        });
      }
      return;
    }
    const seq = (msg.value as { requestSeqNum?: unknown }).requestSeqNum;
    if (isAnswer(msg.type)) this.answer(msg, typeof seq === 'number' ? seq : -1, from);
    else {
      this.stats.incomingRequests++;
      this.handler({ message: msg, from, reply: (answer, to) => this.send(answer, to ?? from) });
    }
  }

  private answer(msg: RasMessage, seq: number, from: IpPort): void {
    const p = this.pending.get(seq);
    // The answer must come from the address we asked and echo our requestSeqNum; a Confirm/Reject
    // must be of the request's kind (RCF/RRJ for an RRQ…).
    const kindOk = !p || msg.type === 'requestInProgress' || msg.type === 'unknownMessageResponse'
      || msg.type === `${p.stem}Confirm` || msg.type === `${p.stem}Reject`;
    if (!p || key(from) !== key(p.to) || !kindOk) {
      this.stats.unmatchedAnswers++;
      this.log.debug('ras answer matches no pending request, dropped', { type: msg.type, seq, from: key(from) });
      return;
    }
    if (msg.type === 'requestInProgress') {
      // H.225.0 7.13: RIP; the requester waits `delay` ms more before timing out or retrying.
      this.stats.requestsInProgress++;
      const delay = (msg.value as { delay: number }).delay;
      this.log.debug('ras request in progress', { type: p.type, seq, delayMs: delay });
      p.sends = Math.min(p.sends, 1); // the gatekeeper has it: the retry count starts over after the delay
      this.arm(p, delay);
      return;
    }
    p.timer?.cancel();
    this.pending.delete(seq);
    if (msg.type === 'unknownMessageResponse') {
      p.reject(new RasNotUnderstoodError(p.type, `${p.peerName} (${key(p.to)})`));
      return;
    }
    this.stats.answersMatched++;
    p.resolve(msg);
  }
}

import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { Logger } from '../../../bridge/index.ts';
import {
  MeetingConnectorError,
  MeetingProtocolError,
  MeetingRejectedError,
  MeetingSocketClosedError,
  MeetingTimeoutError,
  MeetingUnreachableError,
} from './errors.ts';

/**
 * WebSocket client of the meeting signalling protocol (meeting/PROTOCOL.md "Frames"):
 * requests paired with responses by `id`, each with its own timeout; notifications emitted as
 * they come. When the socket closes every pending request is rejected with
 * MeetingSocketClosedError (the mediasoup Channel pattern) and 'closed' is emitted once.
 */
export interface SignallingClientOptions {
  /** Opening handshake must finish within this, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Each request must be answered within this, ms. Default 10000. */
  requestTimeoutMs?: number;
  logger: Logger;
}

export interface SignallingClientEvents {
  /** A server notification (PROTOCOL.md "Notifications"); data is untrusted and unvalidated. */
  notification: [name: string, data: Record<string, unknown>];
  /** The socket is gone (by us or by the server); emitted once. */
  closed: [reason: string];
}

interface PendingRequest {
  method: string;
  resolve: (data: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Largest frame accepted from the meeting, bytes. */
const MAX_FRAME_BYTES = 1 << 20;

export class SignallingClient extends EventEmitter<SignallingClientEvents> {
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;
  private closedReason: string | undefined;
  private readonly requestTimeoutMs: number;
  /** Settles when the underlying socket has fully closed. */
  private readonly socketGone: Promise<void>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly logger: Logger,
    requestTimeoutMs: number,
  ) {
    super();
    this.requestTimeoutMs = requestTimeoutMs;
    this.socketGone = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (raw, isBinary) => this.onFrame(raw, isBinary));
    ws.on('close', (code, reason) => this.onClosed(`socket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
    ws.on('error', (err) => {
      this.logger.warn('meeting socket error', { error: err.message });
      this.onClosed(`socket error: ${err.message}`);
    });
  }

  /** Opens the socket; rejects with MeetingUnreachableError (refused) or MeetingTimeoutError. */
  static connect(url: string, opts: SignallingClientOptions): Promise<SignallingClient> {
    const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, { handshakeTimeout: connectTimeoutMs, maxPayload: MAX_FRAME_BYTES });
      } catch (cause) {
        reject(new MeetingUnreachableError(`invalid meeting url ${url}`, { cause }));
        return;
      }
      // Our own guard too: handshakeTimeout only starts once the TCP connection exists.
      const timer = setTimeout(() => fail(new MeetingTimeoutError(`meeting ${url} did not answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      const fail = (error: MeetingConnectorError): void => {
        cleanup();
        ws.on('error', () => {}); // a late error of the abandoned socket must not go unhandled
        ws.terminate();
        reject(error);
      };
      const onError = (err: Error & { code?: string }): void => {
        fail(
          /timed out/i.test(err.message)
            ? new MeetingTimeoutError(`meeting ${url}: ${err.message}`, { cause: err })
            : new MeetingUnreachableError(`meeting ${url} unreachable: ${err.code ?? err.message}`, { cause: err }),
        );
      };
      const onOpen = (): void => {
        cleanup();
        resolve(new SignallingClient(ws, opts.logger, opts.requestTimeoutMs ?? 10_000));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        ws.off('error', onError);
        ws.off('open', onOpen);
      };
      ws.once('error', onError);
      ws.once('open', onOpen);
    });
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Sends one request; resolves with the response data, rejects with a MeetingConnectorError. */
  request(method: string, data: Record<string, unknown> = {}, timeoutMs = this.requestTimeoutMs): Promise<Record<string, unknown>> {
    if (this.closedReason !== undefined || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new MeetingSocketClosedError(`${method}: meeting socket closed (${this.closedReason ?? 'not open'})`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new MeetingTimeoutError(`${method}: no answer from the meeting within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, method, data }), (err) => {
        if (!err) return;
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new MeetingSocketClosedError(`${method}: send failed: ${err.message}`, { cause: err }));
      });
    });
  }

  /**
   * Closes the socket (idempotent); pending requests are rejected, 'closed' is emitted once.
   * Resolves when the socket is fully closed (no timer or handle left).
   */
  close(reason = 'closed by client'): Promise<void> {
    this.onClosed(reason);
    return this.socketGone;
  }

  private onClosed(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new MeetingSocketClosedError(`${p.method}: ${reason}`));
    }
    this.ws.removeAllListeners('message');
    this.ws.on('error', () => {}); // the socket may still report an error while it closes
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(1000);
      // A server that never completes the closing handshake must not keep the socket alive.
      const killer = setTimeout(() => this.ws.terminate(), 2000);
      this.ws.once('close', () => clearTimeout(killer));
    }
    this.emit('closed', reason);
  }

  private onFrame(raw: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.logger.warn('meeting sent a binary frame: ignored');
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      this.logger.warn('meeting sent a frame that is not JSON: ignored', { length: rawLength(raw) });
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.logger.warn('meeting sent a frame that is not a JSON object: ignored');
      return;
    }
    const f = frame as Record<string, unknown>;
    if (typeof f.notification === 'string') {
      const data = isRecord(f.data) ? f.data : {};
      this.emit('notification', f.notification, data);
      return;
    }
    if (typeof f.id === 'number' && typeof f.ok === 'boolean') {
      this.onResponse(f.id, f);
      return;
    }
    this.logger.warn('meeting sent a frame that is neither response nor notification: ignored', {
      keys: Object.keys(f).slice(0, 5),
    });
  }

  private onResponse(id: number, f: Record<string, unknown>): void {
    const p = this.pending.get(id);
    if (!p) {
      this.logger.warn('meeting answered an unknown or expired request id: ignored', { id });
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (f.ok === true) {
      if (f.data !== undefined && !isRecord(f.data)) {
        p.reject(new MeetingProtocolError(`${p.method}: response data is not an object`));
        return;
      }
      p.resolve((f.data as Record<string, unknown> | undefined) ?? {});
    } else {
      p.reject(new MeetingRejectedError(p.method, typeof f.error === 'string' ? f.error.slice(0, 200) : 'unspecified error'));
    }
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function rawLength(raw: WebSocket.RawData): number {
  if (Array.isArray(raw)) return raw.reduce((n, b) => n + b.length, 0);
  return raw instanceof ArrayBuffer ? raw.byteLength : raw.length;
}

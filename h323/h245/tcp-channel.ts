// H245Channel over a separate TCP connection (H.225.0 7.x, H.323 8.1.x): each PDU in its own
// TPKT (RFC 1006 6). A framing error, a socket error or the peer's FIN closes the channel once,
// with a reason; nothing thrown from a socket callback.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { TpktError, TpktReader, encodeTpkt } from '../q931/index.ts';
import type { H245Channel } from './channel.ts';
import { silentLogger, type Logger } from './logger.ts';

export class TcpH245Channel implements H245Channel {
  private readonly reader = new TpktReader();
  private readonly pduHandlers: ((pdu: Uint8Array) => void)[] = [];
  /** PDUs that arrived before anyone listened (an accepted connection not yet given to a session). */
  private readonly held: Uint8Array[] = [];
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private closedReason: string | undefined;

  constructor(private readonly socket: Socket, private readonly logger: Logger = silentLogger) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.close('remote closed the H.245 connection'));
    socket.on('error', (e) => this.close(`H.245 socket error: ${e.message}`));
    socket.on('close', () => this.close('H.245 connection closed'));
  }

  get remote(): { address: string; port: number } {
    return { address: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0 };
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  send(pdus: Uint8Array[]): void {
    if (this.closedReason !== undefined) return;
    try {
      this.socket.write(Buffer.concat(pdus.map((p) => encodeTpkt(p))));
    } catch (e) {
      this.close(`cannot send H.245 PDU: ${(e as Error).message}`);
    }
  }

  onPdu(handler: (pdu: Uint8Array) => void): void {
    this.pduHandlers.push(handler);
    if (this.closedReason === undefined) for (const p of this.held.splice(0)) this.deliver(p);
  }

  onClose(handler: (reason: string) => void): void {
    if (this.closedReason !== undefined) handler(this.closedReason);
    else this.closeHandlers.push(handler);
  }

  /** Idempotent: flushes what was written, sends FIN, then releases the socket. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.held.length = 0;
    this.logger.debug('h245 channel closed', { reason });
    if (!this.socket.destroyed) this.socket.end(() => this.socket.destroy());
    // A peer that never reads must not keep the socket: destroy after the flush had its chance.
    const t = setTimeout(() => this.socket.destroy(), 2000);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
    for (const h of this.closeHandlers.splice(0)) {
      try {
        h(reason);
      } catch (e) {
        this.logger.error('h245 close handler threw', { error: (e as Error).message });
      }
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closedReason !== undefined) return;
    let payloads: Buffer[];
    try {
      payloads = this.reader.push(chunk);
    } catch (e) {
      // RFC 1006: a TPKT stream that lost framing cannot be resynchronised.
      const reason = e instanceof TpktError ? `H.245 TPKT framing error: ${e.message}` : `H.245 receive error: ${(e as Error).message}`;
      this.logger.warn('h245 framing error', { reason });
      this.close(reason);
      return;
    }
    for (const p of payloads) {
      if (this.closedReason !== undefined) return;
      const pdu = new Uint8Array(p.buffer, p.byteOffset, p.length);
      if (this.pduHandlers.length === 0) this.held.push(pdu);
      else this.deliver(pdu);
    }
  }

  private deliver(pdu: Uint8Array): void {
    for (const h of this.pduHandlers) {
      try {
        h(pdu);
      } catch (e) {
        this.logger.error('h245 PDU handler threw', { error: (e as Error).message });
      }
    }
  }
}

export interface H245Listener {
  address: string;
  port: number;
  /** The next connection to the listening port (queued if it came before the call). */
  accept(): Promise<H245Channel>;
  close(): void;
}

/** Listen side of a separate H.245 channel: the address goes into Setup/Connect h245Address. */
export function listenH245(bindAddress: string, port = 0, logger: Logger = silentLogger): Promise<H245Listener> {
  const ready: TcpH245Channel[] = [];
  const waiting: { resolve: (c: H245Channel) => void; reject: (e: Error) => void }[] = [];
  let closed = false;
  const server: Server = createServer((socket) => {
    const ch = new TcpH245Channel(socket, logger);
    const w = waiting.shift();
    if (w) w.resolve(ch);
    else ready.push(ch);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bindAddress, () => {
      server.off('error', reject);
      server.on('error', (e) => logger.warn('h245 listener error', { error: e.message }));
      const a = server.address() as AddressInfo;
      resolve({
        address: a.address,
        port: a.port,
        accept: () => {
          const ch = ready.shift();
          if (ch) return Promise.resolve(ch);
          if (closed) return Promise.reject(new Error('H.245 listener closed'));
          return new Promise((res, rej) => waiting.push({ resolve: res, reject: rej }));
        },
        close: () => {
          if (closed) return;
          closed = true;
          server.close();
          for (const w of waiting.splice(0)) w.reject(new Error('H.245 listener closed'));
          for (const ch of ready.splice(0)) ch.close('H.245 listener closed');
        },
      });
    });
  });
}

/** Connect side of a separate H.245 channel (to the h245Address the peer announced). */
export function connectH245(address: string, port: number, logger: Logger = silentLogger): Promise<H245Channel> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const fail = (e: Error) => {
      socket.destroy();
      reject(e);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      resolve(new TcpH245Channel(socket, logger));
    });
  });
}

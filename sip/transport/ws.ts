/**
 * SIP over WebSocket, server side (RFC 7118): subprotocol `sip`, one SIP message per frame,
 * Via transport WS. Responses and requests go back over the connection the peer opened.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../logger.ts';
import { parseMessage } from '../parser.ts';
import type { Endpoint, Source, TransportSink } from '../transport.ts';
import { endpointKey, plainAddress } from './stream-connections.ts';

export interface WsTransportOptions {
  /** WebSocket listen port; 0 lets the OS choose. Default 8080 (ws://), 8443 (wss://). */
  port?: number;
  /** HTTP path the upgrade must target. Default '/'. */
  path?: string;
}

export const DEFAULT_WS = { port: 8080, securePort: 8443, path: '/' };

export interface WsListenerOptions {
  /** 'wss' serves the upgrade over TLS with `tls` material (RFC 7118 4, Via transport WSS). */
  transport: 'ws' | 'wss';
  tls?: { cert: Buffer; key: Buffer };
  bindAddress: string;
  port: number;
  path: string;
  logger: Logger;
  sink: TransportSink;
  nextId: () => number;
  admit: (address: string) => boolean;
  /** WebSocket connections allowed at once from one source address. */
  maxPerSource: number;
  /** Close a connection after this many ms without a frame either way; 0 disables. */
  idleTimeoutMs: number;
  isClosed: () => boolean;
  /** Largest message accepted in one frame, bytes. */
  maxMessageBytes: number;
}

/** RFC 7118 4.1: a handshake that does not offer the "sip" subprotocol is refused. */
function offersSip(req: IncomingMessage): boolean {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',');
  return offered.some((p) => p.trim().toLowerCase() === 'sip');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class WsListener {
  private readonly connections = new Map<number, WebSocket>();
  private readonly byRemote = new Map<string, number>();
  private readonly perSource = new Map<string, number>();
  refused = 0;

  private constructor(private readonly server: WebSocketServer, private readonly opts: WsListenerOptions,
    private readonly httpsServer?: https.Server) {
    server.on('connection', (ws, req) => this.adopt(ws, req));
    server.on('error', (err) => opts.logger.warn('sip ws server error', { err: err.message }));
  }

  static async listen(opts: WsListenerOptions): Promise<WsListener> {
    const common = {
      path: opts.path, maxPayload: opts.maxMessageBytes,
      handleProtocols: (protocols: Set<string>) => (protocols.has('sip') ? 'sip' : false),
      verifyClient: (info: { req: IncomingMessage }, cb: (ok: boolean, code?: number, msg?: string) => void) =>
        (offersSip(info.req) ? cb(true) : cb(false, 400, 'Subprotocol sip required')),
    };
    if (opts.transport === 'wss') {
      if (!opts.tls) throw new Error('sip wss needs the tls certificate and key');
      const httpsServer = https.createServer({ cert: opts.tls.cert, key: opts.tls.key });
      const server = new WebSocketServer({ ...common, server: httpsServer });
      await new Promise<void>((resolve, reject) => {
        httpsServer.once('error', reject);
        httpsServer.listen(opts.port, opts.bindAddress, () => { httpsServer.off('error', reject); resolve(); });
      });
      httpsServer.on('error', (err) => opts.logger.warn('sip wss server error', { err: err.message }));
      return new WsListener(server, opts, httpsServer);
    }
    const server = await new Promise<WebSocketServer>((resolve, reject) => {
      const s = new WebSocketServer({ ...common, host: opts.bindAddress, port: opts.port });
      s.once('error', reject);
      s.once('listening', () => { s.off('error', reject); resolve(s); });
    });
    return new WsListener(server, opts);
  }

  get port(): number {
    const a = this.httpsServer ? this.httpsServer.address() : this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  get size(): number {
    return this.connections.size;
  }

  private adopt(ws: WebSocket, req: IncomingMessage): void {
    const { logger } = this.opts;
    const address = plainAddress(req.socket.remoteAddress);
    const port = req.socket.remotePort ?? 0;
    const held = this.perSource.get(address) ?? 0;
    if (held >= this.opts.maxPerSource) {
      if (this.refused++ % 1000 === 0) logger.warn('sip ws connection refused: too many from source', { address, held });
      ws.close(1013, 'too many connections'); // RFC 6455 7.4.1 "Try Again Later"
      return;
    }
    this.perSource.set(address, held + 1);
    const id = this.opts.nextId();
    const key = endpointKey(address, port);
    this.connections.set(id, ws);
    this.byRemote.set(key, id);
    const src: Source = { transport: this.opts.transport, address, port, connectionId: id };
    if (this.opts.idleTimeoutMs > 0) {
      req.socket.setTimeout(this.opts.idleTimeoutMs, () => {
        logger.debug('sip ws connection idle, closing', { address, port });
        ws.terminate();
      });
    }
    ws.on('message', (data) => {
      if (this.opts.isClosed() || !this.opts.admit(address)) return;
      // RFC 7118 5.2: each frame holds exactly one SIP message, so no Content-Length framing.
      this.opts.sink.onParsed(parseMessage(toBuffer(data)), src);
    });
    ws.on('error', (err) => logger.debug('sip ws connection error', { address, port, err: err.message }));
    ws.on('close', () => {
      this.connections.delete(id);
      if (this.byRemote.get(key) === id) this.byRemote.delete(key);
      const n = (this.perSource.get(address) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(address);
      else this.perSource.set(address, n);
    });
  }

  /** RFC 7118 5: a WS server cannot dial its clients; only an open connection can carry `bytes`. */
  async send(bytes: Buffer, dest: Endpoint & { connectionId?: number }): Promise<void> {
    const byId = dest.connectionId === undefined ? undefined : this.connections.get(dest.connectionId);
    const id = this.byRemote.get(endpointKey(dest.address, dest.port));
    const ws = byId ?? (id === undefined ? undefined : this.connections.get(id));
    if (!ws || ws.readyState !== ws.OPEN) throw new Error(`no open WebSocket connection to ${dest.address}:${dest.port}`);
    // RFC 7118 5.2: text frames for UTF-8 messages, binary frames otherwise.
    const binary = !isUtf8(bytes);
    await new Promise<void>((resolve, reject) => {
      ws.send(binary ? bytes : bytes.toString('utf8'), { binary }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    for (const ws of this.connections.values()) ws.terminate();
    this.connections.clear();
    this.byRemote.clear();
    this.perSource.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    const hs = this.httpsServer;
    if (hs) await new Promise<void>((resolve) => hs.close(() => resolve()));
  }
}

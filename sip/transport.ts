/**
 * SIP transports (RFC 3261 18): UDP and TCP on one port, TLS (RFC 3261 26.2) and WebSocket
 * (RFC 7118) on their own ports. Per-source rate limiting happens here, before parsing.
 * Delivers parsed messages and parse failures to one sink; knows nothing of transactions.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type tls from 'node:tls';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import type { SipMessage } from './message.ts';
import { parseMessage, type ParseOutcome } from './parser.ts';
import { SourceRateLimiter, type RateLimitOptions } from './rate-limit/source-rate-limiter.ts';
import { plainAddress, StreamConnections } from './transport/stream-connections.ts';
import { createTlsServer, DEFAULT_TLS_PORT, dialTls, loadTlsMaterial, type TlsMaterial, type TlsTransportOptions } from './transport/tls.ts';
import { DEFAULT_WS, WsListener, type WsTransportOptions } from './transport/ws.ts';

export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** RFC 3261 17.1.1.2: everything but UDP is reliable (no retransmission timers A/E/G). */
export function isReliable(t: TransportName): boolean {
  return t !== 'udp';
}

export interface Endpoint {
  transport: TransportName;
  address: string;
  port: number;
}

/** Where a message came from; `connectionId` names the TCP/TLS/WS connection it arrived on. */
export interface Source extends Endpoint {
  connectionId?: number;
}

export interface TransportSink {
  onParsed(outcome: ParseOutcome, src: Source): void;
}

export interface TransportStats {
  /** Messages dropped unparsed by the per-source rate limiter. */
  rateLimitedDropped: number;
  /** Distinct source addresses that have been rate limited. */
  rateLimitedSources: number;
  /** Inbound connections refused by the per-source connection cap. */
  connectionsRefused: number;
  /** Connections open now, per transport. */
  connections: { tcp: number; tls: number; ws: number; wss: number };
  /** Inbound TLS handshakes that failed (the peer refused our certificate, scanners, timeouts). */
  tlsHandshakeFailures: number;
}

export interface SipTransport {
  readonly port: number;
  readonly transports: readonly TransportName[];
  /** The local port of `transport` (UDP and TCP share one). */
  portFor(transport: TransportName): number;
  /** Sends; rejects on transport failure (connection refused, socket closed). */
  send(msg: SipMessage, dest: Endpoint & { connectionId?: number }): Promise<void>;
  stats(): TransportStats;
  close(): Promise<void>;
}

export type { RateLimitOptions, TlsTransportOptions, WsTransportOptions };

export interface NetTransportOptions {
  bindAddress: string;
  /** UDP and TCP port; 0 lets the OS choose. */
  port: number;
  /** Which of UDP and TCP to open; TLS and WS open when their options are given. */
  transports: readonly TransportName[];
  tls?: TlsTransportOptions;
  ws?: WsTransportOptions;
  /** Secure WebSocket (wss://) with the `tls` certificate and key. */
  wss?: WsTransportOptions;
  /** Per-source token bucket before parsing; false disables it. */
  rateLimit: RateLimitOptions | false;
  /** Idle stream/WS connections are closed after this many ms; 0 disables. */
  idleTimeoutMs: number;
  /** Concurrent inbound TCP, TLS and WS connections allowed from one source address (each). */
  maxConnectionsPerSource: number;
  /** Time source for the rate limiter and keepalive timers (injected, STYLE 6). */
  clock: Clock;
  /** Ms between RFC 5626 CRLFCRLF pings on TCP/TLS connections we dialled; 0 disables. */
  keepaliveIntervalMs: number;
  /** Ms to wait for the pong before closing the flow (RFC 5626 4.4.1: 10000). */
  keepalivePongTimeoutMs: number;
  logger: Logger;
  sink: TransportSink;
}

/** Largest WebSocket frame accepted, bytes (a SIP message; generous for big SDP). */
const MAX_WS_MESSAGE_BYTES = 256 * 1024;

export class NetTransport implements SipTransport {
  private udp?: dgram.Socket;
  private tcpServer?: net.Server;
  private tlsServer?: tls.Server;
  private tlsHandshakeFailures = 0;
  private tlsMaterial?: TlsMaterial;
  private ws?: WsListener;
  private wss?: WsListener;
  private readonly tcp: StreamConnections;
  private readonly tlsConns: StreamConnections;
  private readonly limiter?: SourceRateLimiter;
  private nextConnectionId = 1;
  private closed = false;
  port = 0;
  private tlsPort = 0;

  private constructor(private readonly opts: NetTransportOptions) {
    const admit = (t: TransportName) => (address: string) => this.admit(address, t);
    const keepalive = opts.keepaliveIntervalMs > 0
      ? { clock: opts.clock, intervalMs: opts.keepaliveIntervalMs, pongTimeoutMs: opts.keepalivePongTimeoutMs } : undefined;
    const common = { logger: opts.logger, sink: opts.sink, idleTimeoutMs: opts.idleTimeoutMs, keepalive,
      maxPerSource: opts.maxConnectionsPerSource, nextId: () => this.nextConnectionId++, isClosed: () => this.closed };
    this.tcp = new StreamConnections({ ...common, transport: 'tcp', admit: admit('tcp') });
    this.tlsConns = new StreamConnections({ ...common, transport: 'tls', admit: admit('tls') });
    if (opts.rateLimit !== false) this.limiter = new SourceRateLimiter(opts.rateLimit, () => opts.clock.now(), opts.logger);
    if (opts.tls) this.tlsMaterial = loadTlsMaterial(opts.tls);
  }

  get transports(): readonly TransportName[] {
    const list = this.opts.transports.filter((t) => t === 'udp' || t === 'tcp');
    return [...list, ...(this.opts.tls ? ['tls' as const] : []), ...(this.opts.ws ? ['ws' as const] : []),
      ...(this.opts.wss ? ['wss' as const] : [])];
  }

  portFor(transport: TransportName): number {
    if (transport === 'tls') return this.tlsPort;
    if (transport === 'ws') return this.ws?.port ?? 0;
    if (transport === 'wss') return this.wss?.port ?? 0;
    return this.port;
  }

  static async start(opts: NetTransportOptions): Promise<NetTransport> {
    const t = new NetTransport(opts);
    // With port 0, the OS picks the UDP port; TCP then binds the same number (retried if taken).
    for (let attempt = 0; ; attempt++) {
      try {
        await t.bind(opts.port);
        break;
      } catch (e) {
        await t.closeSockets();
        if (opts.port !== 0 || attempt >= 9) throw e;
      }
    }
    try {
      await t.bindTlsAndWs();
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  private async bind(port: number): Promise<void> {
    const family = net.isIPv6(this.opts.bindAddress) ? 'udp6' : 'udp4';
    if (this.opts.transports.includes('udp')) {
      const udp = dgram.createSocket({ type: family });
      this.udp = udp;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, this.opts.bindAddress, () => { udp.off('error', reject); resolve(); });
      });
      udp.on('error', (err) => this.opts.logger.warn('sip udp socket error', { err: err.message }));
      udp.on('message', (buf, rinfo) => this.onDatagram(buf, rinfo));
      port = udp.address().port;
    }
    if (this.opts.transports.includes('tcp')) {
      const server = net.createServer((sock) => this.tcp.accept(sock));
      this.tcpServer = server;
      port = await this.listen(server, port, 'tcp');
    }
    this.port = port;
  }

  private async bindTlsAndWs(): Promise<void> {
    if (this.tlsMaterial) {
      const server = createTlsServer(this.tlsMaterial, (sock) => this.tlsConns.adopt(sock));
      server.on('connection', (raw: net.Socket) => this.tlsConns.admitInbound(raw));
      // A failed handshake never reaches the SIP layer; it is logged at debug (scanners do this).
      server.on('tlsClientError', (err, sock) => {
        this.tlsHandshakeFailures++;
        this.opts.logger.debug('sip tls handshake failed', { address: plainAddress(sock.remoteAddress), err: err.message });
      });
      this.tlsServer = server;
      this.tlsPort = await this.listen(server, this.opts.tls?.port ?? DEFAULT_TLS_PORT, 'tls');
    }
    if (this.opts.ws) this.ws = await this.listenWs('ws', this.opts.ws);
    if (this.opts.wss) {
      if (!this.tlsMaterial) throw new Error('sip wss needs the tls options (certFile, keyFile)');
      this.wss = await this.listenWs('wss', this.opts.wss);
    }
  }

  private listenWs(transport: 'ws' | 'wss', o: WsTransportOptions): Promise<WsListener> {
    return WsListener.listen({
      transport, tls: this.tlsMaterial, bindAddress: this.opts.bindAddress,
      port: o.port ?? (transport === 'wss' ? DEFAULT_WS.securePort : DEFAULT_WS.port),
      path: o.path ?? DEFAULT_WS.path, logger: this.opts.logger, sink: this.opts.sink,
      nextId: () => this.nextConnectionId++, admit: (a) => this.admit(a, transport),
      maxPerSource: this.opts.maxConnectionsPerSource, idleTimeoutMs: this.opts.idleTimeoutMs,
      isClosed: () => this.closed, maxMessageBytes: MAX_WS_MESSAGE_BYTES,
    });
  }

  private async listen(server: net.Server, port: number, name: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.bindAddress, () => { server.off('error', reject); resolve(); });
    });
    server.on('error', (err) => this.opts.logger.warn(`sip ${name} server error`, { err: err.message }));
    return (server.address() as net.AddressInfo).port;
  }

  private admit(address: string, transport: TransportName): boolean {
    return this.limiter ? this.limiter.admit(address, transport) : true;
  }

  private onDatagram(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const address = plainAddress(rinfo.address);
    if (!this.admit(address, 'udp')) return;
    // RFC 5626 4.4.1: a bare CRLF (keepalive) over UDP is ignored.
    if (buf.length <= 4 && buf.toString('latin1').trim() === '') return;
    this.opts.sink.onParsed(parseMessage(buf), { transport: 'udp', address, port: rinfo.port });
  }

  async send(msg: SipMessage, dest: Endpoint & { connectionId?: number }): Promise<void> {
    if (this.closed) throw new Error('transport closed');
    const bytes = msg.encode();
    if (dest.transport === 'udp') {
      const udp = this.udp;
      if (!udp) throw new Error('udp transport not enabled');
      await new Promise<void>((resolve, reject) => {
        udp.send(bytes, dest.port, dest.address, (err) => (err ? reject(err) : resolve()));
      });
      return;
    }
    if (dest.transport === 'ws' || dest.transport === 'wss') {
      const listener = dest.transport === 'ws' ? this.ws : this.wss;
      if (!listener) throw new Error(`${dest.transport} transport not enabled`);
      return listener.send(bytes, dest);
    }
    const sock = await this.connectionFor(dest);
    await new Promise<void>((resolve, reject) => {
      sock.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** RFC 3261 18.2.2: reuse the connection the request came on, else any to that peer, else dial. */
  private async connectionFor(dest: Endpoint & { connectionId?: number }): Promise<net.Socket> {
    const table = dest.transport === 'tls' ? this.tlsConns : this.tcp;
    const existing = table.find(dest);
    if (existing) return existing;
    const localAddress = this.localAddressFor(dest.address);
    if (dest.transport === 'tls' && !this.tlsMaterial) throw new Error('tls transport not enabled');
    if (dest.transport === 'tcp' && !this.tcpServer) throw new Error('tcp transport not enabled');
    let sock = await dialTcp(dest.address, dest.port, localAddress);
    if (dest.transport === 'tls' && this.tlsMaterial) sock = await dialTls(this.tlsMaterial, sock, dest.address);
    if (this.closed) {
      sock.destroy();
      throw new Error('transport closed');
    }
    table.adopt(sock, true);
    return sock;
  }

  private localAddressFor(remote: string): string | undefined {
    const bind = this.opts.bindAddress;
    if (bind === '0.0.0.0' || bind === '::') return undefined;
    return net.isIPv6(bind) === net.isIPv6(remote) ? bind : undefined;
  }

  get connectionCount(): number {
    return this.tcp.size + this.tlsConns.size + (this.ws?.size ?? 0) + (this.wss?.size ?? 0);
  }

  stats(): TransportStats {
    const rl = this.limiter?.stats() ?? { dropped: 0, limitedSources: 0 };
    return {
      rateLimitedDropped: rl.dropped, rateLimitedSources: rl.limitedSources,
      connectionsRefused: this.tcp.refused + this.tlsConns.refused + (this.ws?.refused ?? 0) + (this.wss?.refused ?? 0),
      connections: { tcp: this.tcp.size, tls: this.tlsConns.size, ws: this.ws?.size ?? 0, wss: this.wss?.size ?? 0 },
      tlsHandshakeFailures: this.tlsHandshakeFailures,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeSockets();
  }

  private async closeSockets(): Promise<void> {
    this.tcp.closeAll();
    this.tlsConns.closeAll();
    const { udp, tcpServer, tlsServer, ws, wss } = this;
    this.udp = undefined;
    this.tcpServer = undefined;
    this.tlsServer = undefined;
    this.ws = undefined;
    this.wss = undefined;
    if (udp) await new Promise<void>((resolve) => { try { udp.close(() => resolve()); } catch { resolve(); } });
    if (tcpServer) await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    if (tlsServer) await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    if (ws) await ws.close();
    if (wss) await wss.close();
  }
}

function dialTcp(address: string, port: number, localAddress?: string): Promise<net.Socket> {
  const sock = net.connect({ host: address, port, localAddress });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.once('connect', () => { sock.off('error', reject); resolve(sock); });
  });
}

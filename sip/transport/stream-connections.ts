/**
 * The open connections of one stream transport (TCP or TLS, RFC 3261 18): framing by
 * Content-Length, CRLF keepalive pongs (RFC 5626 3.5.1), idle timeout, a cap on concurrent
 * inbound connections per source address, and lookup for connection reuse (RFC 3261 18.2.2).
 */
import type net from 'node:net';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { parseMessage, StreamFramer, type FrameEvent } from '../parser.ts';
import type { Endpoint, Source, TransportSink } from '../transport.ts';

export interface StreamConnectionsOptions {
  transport: 'tcp' | 'tls';
  logger: Logger;
  sink: TransportSink;
  /** Close a connection after this many ms without bytes either way; 0 disables. */
  idleTimeoutMs: number;
  /** Inbound connections allowed at once from one source address. */
  maxPerSource: number;
  /** Allocates connection ids unique across all transports. */
  nextId: () => number;
  /** Rate-limit check before parsing; false drops the framed message. */
  admit: (address: string) => boolean;
  isClosed: () => boolean;
  /** RFC 5626 4.4.1 pings on connections we dialled; absent = none. */
  keepalive?: KeepaliveOptions;
}

export interface KeepaliveOptions {
  /** Time source for the ping and pong timers (STYLE 6). */
  clock: Clock;
  /** Ms between CRLFCRLF pings on an outbound connection. */
  intervalMs: number;
  /** Ms to wait for any byte (the CRLF pong) after a ping before the flow counts as failed. RFC 5626 4.4.1: 10 s. */
  pongTimeoutMs: number;
}

export function endpointKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** Strips the IPv4-mapped prefix node reports on dual-stack sockets. */
export function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export class StreamConnections {
  private readonly connections = new Map<number, net.Socket>();
  private readonly byRemote = new Map<string, number>();
  private readonly inboundPerSource = new Map<string, number>();
  refused = 0;

  constructor(private readonly opts: StreamConnectionsOptions) {}

  get size(): number {
    return this.connections.size;
  }

  /** Connection `id` if it is still open, else any open one to `dest` (RFC 3261 18.2.2). */
  find(dest: Endpoint & { connectionId?: number }): net.Socket | undefined {
    const byId = dest.connectionId === undefined ? undefined : this.connections.get(dest.connectionId);
    if (byId && !byId.destroyed) return byId;
    const id = this.byRemote.get(endpointKey(dest.address, dest.port));
    const sock = id === undefined ? undefined : this.connections.get(id);
    return sock && !sock.destroyed ? sock : undefined;
  }

  /** Accepts an inbound connection unless its source already holds `maxPerSource`. */
  accept(sock: net.Socket): void {
    if (this.admitInbound(sock)) this.adopt(sock);
  }

  /**
   * Counts an inbound connection against its source's cap (for TLS at TCP accept, before the
   * handshake, so half-open handshakes count too); destroys it and returns false when over.
   */
  admitInbound(sock: net.Socket): boolean {
    const address = plainAddress(sock.remoteAddress);
    const held = this.inboundPerSource.get(address) ?? 0;
    if (held >= this.opts.maxPerSource) {
      // Logged on the first refusal and every 1000th after, not per connection.
      if (this.refused++ % 1000 === 0) {
        this.opts.logger.warn('sip connection refused: too many from source', {
          transport: this.opts.transport, address, held, refusedTotal: this.refused });
      }
      sock.destroy();
      return false;
    }
    this.inboundPerSource.set(address, held + 1);
    sock.once('close', () => {
      const n = (this.inboundPerSource.get(address) ?? 1) - 1;
      if (n <= 0) this.inboundPerSource.delete(address);
      else this.inboundPerSource.set(address, n);
    });
    return true;
  }

  /** Registers a connection (accepted or dialled) and starts framing its bytes; `dialled` ones get keepalives. */
  adopt(sock: net.Socket, dialled = false): number {
    const { transport, logger } = this.opts;
    const id = this.opts.nextId();
    const address = plainAddress(sock.remoteAddress);
    const port = sock.remotePort ?? 0;
    const key = endpointKey(address, port);
    this.connections.set(id, sock);
    this.byRemote.set(key, id);
    const src: Source = { transport, address, port, connectionId: id };
    sock.setNoDelay(true);
    if (this.opts.idleTimeoutMs > 0) {
      sock.setTimeout(this.opts.idleTimeoutMs, () => {
        logger.debug('sip connection idle, closing', { transport, address, port, idleMs: this.opts.idleTimeoutMs });
        sock.destroy();
      });
    }
    this.frame(sock, src);
    if (dialled && this.opts.keepalive) this.keepAlive(sock, src, this.opts.keepalive);
    sock.on('error', (err) => logger.debug('sip connection error', { transport, address, port, err: err.message }));
    sock.on('close', () => {
      this.connections.delete(id);
      if (this.byRemote.get(key) === id) this.byRemote.delete(key);
    });
    return id;
  }

  private frame(sock: net.Socket, src: Source): void {
    const framer = new StreamFramer();
    // Messages that arrive in one chunk are delivered one event-loop turn apart, like datagrams,
    // so promise continuations of one (e.g. accept() resolving on ACK) run before the next.
    const queue: FrameEvent[] = [];
    const drain = (): void => {
      const ev = queue.shift();
      if (!ev || this.opts.isClosed()) return;
      if (ev.kind === 'ping') sock.write('\r\n'); // RFC 5626 3.5.1 pong
      else if (ev.kind === 'message') {
        if (this.opts.admit(src.address)) this.opts.sink.onParsed(parseMessage(ev.bytes, { stream: true }), src);
      } else {
        this.opts.logger.warn('sip stream framing lost, closing connection', {
          transport: src.transport, address: src.address, port: src.port, reason: ev.error.message });
        sock.destroy();
        queue.length = 0;
      }
      if (queue.length > 0) setImmediate(drain);
    };
    sock.on('data', (chunk: Buffer) => {
      const idle = queue.length === 0;
      queue.push(...framer.push(chunk));
      if (idle) drain();
    });
  }

  /**
   * RFC 5626 4.4.1: a client sends CRLFCRLF and expects a CRLF pong; with no answer within the
   * pong timeout the flow has failed and the connection is closed. Any byte received counts.
   */
  private keepAlive(sock: net.Socket, src: Source, ka: KeepaliveOptions): void {
    let lastReceived = ka.clock.now();
    let timer: TimerHandle | undefined;
    sock.on('data', () => { lastReceived = ka.clock.now(); });
    const ping = (): void => {
      if (sock.destroyed) return;
      const sentAt = ka.clock.now();
      sock.write('\r\n\r\n');
      timer = ka.clock.setTimer(ka.pongTimeoutMs, () => {
        if (sock.destroyed) return;
        if (lastReceived < sentAt) {
          this.opts.logger.warn('sip keepalive pong missing, closing connection (RFC 5626 4.4.1)', {
            transport: src.transport, address: src.address, port: src.port, waitedMs: ka.pongTimeoutMs });
          sock.destroy();
          return;
        }
        timer = ka.clock.setTimer(Math.max(0, ka.intervalMs - ka.pongTimeoutMs), ping);
      });
    };
    timer = ka.clock.setTimer(ka.intervalMs, ping);
    sock.once('close', () => timer?.cancel());
  }

  closeAll(): void {
    for (const sock of this.connections.values()) sock.destroy();
    this.connections.clear();
    this.byRemote.clear();
    this.inboundPerSource.clear();
  }
}

/**
 * UDP and TCP transports on one port (RFC 3261 18). Stream framing by Content-Length, connection
 * reuse for responses (18.2.2), CRLF keepalives (RFC 5626 3.5.1). Delivers parsed messages and
 * parse failures to one sink; knows nothing of transactions.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from './logger.ts';
import type { SipMessage } from './message.ts';
import { parseMessage, StreamFramer, type FrameEvent, type ParseOutcome } from './parser.ts';

export type TransportName = 'udp' | 'tcp';

export interface Endpoint {
  transport: TransportName;
  address: string;
  port: number;
}

/** Where a message came from; `connectionId` names the TCP connection it arrived on. */
export interface Source extends Endpoint {
  connectionId?: number;
}

export interface TransportSink {
  onParsed(outcome: ParseOutcome, src: Source): void;
}

export interface SipTransport {
  readonly port: number;
  readonly transports: readonly TransportName[];
  /** Sends; rejects on transport failure (connection refused, socket closed). */
  send(msg: SipMessage, dest: Endpoint & { connectionId?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface NetTransportOptions {
  bindAddress: string;
  port: number;
  transports: readonly TransportName[];
  logger: Logger;
  sink: TransportSink;
}

function endpointKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** Strips the IPv4-mapped prefix node reports on dual-stack sockets. */
function plainAddress(a: string | undefined): string {
  if (!a) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export class NetTransport implements SipTransport {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly connections = new Map<number, net.Socket>();
  private readonly byRemote = new Map<string, number>();
  private nextConnectionId = 1;
  private closed = false;
  port = 0;

  private constructor(private readonly opts: NetTransportOptions) {}

  get transports(): readonly TransportName[] {
    return this.opts.transports;
  }

  static async start(opts: NetTransportOptions): Promise<NetTransport> {
    const t = new NetTransport(opts);
    // With port 0, the OS picks the UDP port; TCP then binds the same number (retried if taken).
    for (let attempt = 0; ; attempt++) {
      try {
        await t.bind(opts.port);
        return t;
      } catch (e) {
        await t.closeSockets();
        if (opts.port !== 0 || attempt >= 9) throw e;
      }
    }
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
      const server = net.createServer((sock) => this.adopt(sock));
      this.tcp = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.opts.bindAddress, () => { server.off('error', reject); resolve(); });
      });
      server.on('error', (err) => this.opts.logger.warn('sip tcp server error', { err: err.message }));
      port = (server.address() as net.AddressInfo).port;
    }
    this.port = port;
  }

  private onDatagram(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const src: Source = { transport: 'udp', address: plainAddress(rinfo.address), port: rinfo.port };
    // RFC 5626 4.4.1: a bare CRLF (keepalive) over UDP is ignored.
    if (buf.length <= 4 && buf.toString('latin1').trim() === '') return;
    this.opts.sink.onParsed(parseMessage(buf), src);
  }

  /** Registers a TCP connection (accepted or dialled) and starts framing its bytes. */
  private adopt(sock: net.Socket): number {
    const id = this.nextConnectionId++;
    const address = plainAddress(sock.remoteAddress);
    const port = sock.remotePort ?? 0;
    const key = endpointKey(address, port);
    this.connections.set(id, sock);
    this.byRemote.set(key, id);
    const framer = new StreamFramer();
    const src: Source = { transport: 'tcp', address, port, connectionId: id };
    sock.setNoDelay(true);
    // Messages that arrive in one chunk are delivered one event-loop turn apart, like datagrams,
    // so promise continuations of one (e.g. accept() resolving on ACK) run before the next.
    const queue: FrameEvent[] = [];
    const drain = (): void => {
      const ev = queue.shift();
      if (!ev || this.closed) return;
      if (ev.kind === 'ping') sock.write('\r\n'); // RFC 5626 3.5.1 pong
      else if (ev.kind === 'message') this.opts.sink.onParsed(parseMessage(ev.bytes, { stream: true }), src);
      else {
        this.opts.logger.warn('sip tcp framing lost, closing connection', { address, port, reason: ev.error.message });
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
    sock.on('error', (err) => this.opts.logger.debug('sip tcp connection error', { address, port, err: err.message }));
    sock.on('close', () => {
      this.connections.delete(id);
      if (this.byRemote.get(key) === id) this.byRemote.delete(key);
    });
    return id;
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
    const sock = await this.connectionFor(dest);
    await new Promise<void>((resolve, reject) => {
      sock.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** RFC 3261 18.2.2: reuse the connection the request came on, else any to that peer, else dial. */
  private async connectionFor(dest: Endpoint & { connectionId?: number }): Promise<net.Socket> {
    const byId = dest.connectionId === undefined ? undefined : this.connections.get(dest.connectionId);
    if (byId && !byId.destroyed) return byId;
    const existingId = this.byRemote.get(endpointKey(dest.address, dest.port));
    const existing = existingId === undefined ? undefined : this.connections.get(existingId);
    if (existing && !existing.destroyed) return existing;
    if (!this.tcp) throw new Error('tcp transport not enabled');
    const sock = net.connect({ host: dest.address, port: dest.port, localAddress: this.localAddressFor(dest.address) });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.once('connect', () => { sock.off('error', reject); resolve(); });
    });
    if (this.closed) {
      sock.destroy();
      throw new Error('transport closed');
    }
    this.adopt(sock);
    return sock;
  }

  private localAddressFor(remote: string): string | undefined {
    const bind = this.opts.bindAddress;
    if (bind === '0.0.0.0' || bind === '::') return undefined;
    return net.isIPv6(bind) === net.isIPv6(remote) ? bind : undefined;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeSockets();
  }

  private async closeSockets(): Promise<void> {
    for (const sock of this.connections.values()) sock.destroy();
    this.connections.clear();
    this.byRemote.clear();
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp) await new Promise<void>((resolve) => { try { udp.close(() => resolve()); } catch { resolve(); } });
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }
}

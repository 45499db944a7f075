import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { RtpError } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import type { PortAllocator } from './port-allocator.ts';
import { readRtcpHeader } from './rtcp/rtcp-header.ts';
import { looksLikeRtcp, parseRtpHeader } from './rtp-packet.ts';
import { SrtpSession, type SrtpDrop, type SrtpParameters } from './srtp/srtp-session.ts';

export interface RtpEndpointOptions {
  ports: PortAllocator;
  /** Local bind address ('0.0.0.0', '127.0.0.1', '::1', ...). */
  bindAddress: string;
  logger?: Logger;
  /** Label for logs ('audio', 'video'). */
  label?: string;
}

export interface RemoteAddress {
  address: string;
  port: number;
}

export interface RtpEndpointEvents {
  /** A datagram that passed RTP header validation. Ownership passes to the listener. */
  rtp: [packet: Buffer, from: RemoteAddress];
  /** A datagram whose first RTCP header validated (on the RTCP port, or muxed on the RTP port). */
  rtcp: [packet: Buffer, from: RemoteAddress];
  /** Symmetric latching picked (or changed) where we send (RTP or RTCP). */
  latched: [which: 'rtp' | 'rtcp', remote: RemoteAddress];
}

export interface RtpEndpointStats {
  rtpIn: number;
  rtpBytesIn: number;
  rtcpIn: number;
  rtpOut: number;
  rtpBytesOut: number;
  rtcpOut: number;
  malformed: number;
  /** Sends dropped because no remote was known yet, or the endpoint was closed. */
  sendDropped: number;
  /** SRTP/SRTCP packets whose authentication tag did not verify (RFC 3711 3.3); dropped. */
  srtpAuthFailures: number;
  /** SRTP/SRTCP packets refused by the replay list (RFC 3711 3.3.2); dropped. */
  srtpReplays: number;
}

/**
 * One room-side media stream: a UDP socket on an even RTP port and one on RTP+1 for RTCP
 * (RFC 3550 11), bound from a PortAllocator. RTCP arriving on the RTP port is demultiplexed by
 * packet type (RFC 5761 4). Symmetric latching: the initial targets come from SDP
 * (`setRemote`); the first valid RTP (RTCP) packet's source becomes the RTP (RTCP) target,
 * because terminals behind NAT or with several interfaces send from where they listen.
 */
export class RtpEndpoint extends EventEmitter<RtpEndpointEvents> {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  private readonly rtpSocket: dgram.Socket;
  private readonly rtcpSocket: dgram.Socket;
  private readonly ports: PortAllocator;
  private readonly logger: Logger;
  private rtpTarget: RemoteAddress | undefined;
  private rtcpTarget: RemoteAddress | undefined;
  private rtpLatched = false;
  private rtcpLatched = false;
  private closed = false;
  private readonly loggedErrors = new Set<string>();
  private readonly counters: RtpEndpointStats = {
    rtpIn: 0, rtpBytesIn: 0, rtcpIn: 0, rtpOut: 0, rtpBytesOut: 0, rtcpOut: 0, malformed: 0, sendDropped: 0,
    srtpAuthFailures: 0, srtpReplays: 0,
  };
  /** SRTP transform of both directions (RTP and RTCP), when SDES negotiated one. */
  private srtp: SrtpSession | undefined;

  private constructor(ports: PortAllocator, rtpPort: number, sockets: [dgram.Socket, dgram.Socket], logger: Logger) {
    super();
    this.ports = ports;
    this.rtpPort = rtpPort;
    this.rtcpPort = rtpPort + 1;
    [this.rtpSocket, this.rtcpSocket] = sockets;
    this.logger = logger;
    this.rtpSocket.on('message', (msg, rinfo) => this.onRtpSocket(msg, rinfo));
    this.rtcpSocket.on('message', (msg, rinfo) => this.onRtcpSocket(msg, rinfo));
    const onError = (err: Error) => this.logOnce(`socket:${(err as NodeJS.ErrnoException).code}`, 'rtp socket error', { error: err.message });
    this.rtpSocket.on('error', onError);
    this.rtcpSocket.on('error', onError);
  }

  /** Allocate a port pair and bind both sockets; skips ports the OS refuses. */
  static async open(opts: RtpEndpointOptions): Promise<RtpEndpoint> {
    const base = opts.logger ?? silentLogger;
    const logger = base.child?.({ component: 'rtp-endpoint', media: opts.label }) ?? base;
    const { port, value } = await opts.ports.allocate((p) => bindPair(opts.bindAddress, p), 32);
    return new RtpEndpoint(opts.ports, port, value, logger);
  }

  /**
   * Initial targets from SDP (RFC 3264). `rtcpPort` defaults to port+1 (RFC 3550 11), or the RTP
   * port when `rtcpMux` (RFC 5761). Resets latching: the next valid packet latches again.
   * `srtp` switches the stream to SRTP/SRTCP (RFC 3711) with those keys; the same suite and keys
   * as before keep the crypto context (rollover counters, replay lists; RFC 4568 7.1.4), new ones
   * start a new context, none means plain RTP.
   */
  setRemote(address: string, port: number, opts: { rtcpPort?: number; rtcpMux?: boolean; srtp?: SrtpParameters } = {}): void {
    const rtcp = opts.rtcpMux ? port : (opts.rtcpPort ?? port + 1);
    if (!validPort(port) || !validPort(rtcp)) throw new RangeError(`RtpEndpoint.setRemote: bad port ${port}/${rtcp}`);
    this.rtpTarget = { address, port };
    this.rtcpTarget = { address, port: rtcp };
    this.rtpLatched = false;
    this.rtcpLatched = false;
    if (!opts.srtp) this.srtp = undefined;
    else if (!this.srtp?.sameAs(opts.srtp)) this.srtp = new SrtpSession(opts.srtp);
  }

  /** The SRTP suite in use, if any, and its counters. */
  get srtpSession(): SrtpSession | undefined { return this.srtp; }

  get remoteRtp(): RemoteAddress | undefined { return this.rtpTarget; }
  get remoteRtcp(): RemoteAddress | undefined { return this.rtcpTarget; }

  sendRtp(packet: Buffer): void {
    const t = this.rtpTarget;
    if (this.closed || !t) {
      this.counters.sendDropped++;
      return;
    }
    this.counters.rtpOut++;
    this.counters.rtpBytesOut += packet.length;
    this.rtpSocket.send(this.srtp ? this.srtp.protectRtp(packet) : packet, t.port, t.address);
  }

  sendRtcp(packet: Buffer): void {
    const t = this.rtcpTarget;
    if (this.closed || !t) {
      this.counters.sendDropped++;
      return;
    }
    this.counters.rtcpOut++;
    // Muxed target (same port as RTP): send from the RTP socket so the terminal sees one 5-tuple.
    const sock = this.rtpTarget && t.port === this.rtpTarget.port && t.address === this.rtpTarget.address
      ? this.rtpSocket : this.rtcpSocket;
    sock.send(this.srtp ? this.srtp.protectRtcp(packet) : packet, t.port, t.address);
  }

  stats(): Readonly<RtpEndpointStats> {
    return this.counters;
  }

  /** Close both sockets and return the port pair. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rtpSocket.close();
    this.rtcpSocket.close();
    this.ports.release(this.rtpPort);
    this.removeAllListeners();
  }

  get isClosed(): boolean { return this.closed; }

  private onRtpSocket(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (looksLikeRtcp(msg)) {
      this.onRtcp(msg, rinfo, true); // RFC 5761 4: PT 64-95 on the RTP port is RTCP
      return;
    }
    if (this.srtp) {
      // RFC 3711 3.3: authenticate and decrypt before anything else looks at the packet; only
      // authenticated packets latch (a forged packet must not redirect our media).
      const plain = unprotect(this.srtp, msg, 'rtp');
      if (typeof plain === 'string') return this.dropSrtp(plain, rinfo, 'srtp');
      msg = plain;
    }
    try {
      parseRtpHeader(msg);
    } catch (err) {
      this.dropMalformed(err, rinfo, 'rtp');
      return;
    }
    this.counters.rtpIn++;
    this.counters.rtpBytesIn += msg.length;
    const from = { address: rinfo.address, port: rinfo.port };
    if (!this.rtpLatched) {
      this.rtpLatched = true;
      if (!this.rtpTarget || this.rtpTarget.address !== from.address || this.rtpTarget.port !== from.port) {
        this.rtpTarget = from;
        this.logger.debug('latched rtp remote', { remote: `${from.address}:${from.port}` });
        this.emit('latched', 'rtp', from);
      }
    }
    this.emit('rtp', msg, from);
  }

  private onRtcpSocket(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    this.onRtcp(msg, rinfo, false);
  }

  private onRtcp(msg: Buffer, rinfo: dgram.RemoteInfo, muxed: boolean): void {
    if (this.srtp) {
      const plain = unprotect(this.srtp, msg, 'rtcp');
      if (typeof plain === 'string') return this.dropSrtp(plain, rinfo, 'srtcp');
      msg = plain;
    }
    try {
      readRtcpHeader(msg);
    } catch (err) {
      this.dropMalformed(err, rinfo, 'rtcp');
      return;
    }
    this.counters.rtcpIn++;
    const from = { address: rinfo.address, port: rinfo.port };
    if (!this.rtcpLatched) {
      this.rtcpLatched = true;
      if (!this.rtcpTarget || this.rtcpTarget.address !== from.address || this.rtcpTarget.port !== from.port) {
        this.rtcpTarget = from;
        this.logger.debug('latched rtcp remote', { remote: `${from.address}:${from.port}`, muxed });
        this.emit('latched', 'rtcp', from);
      }
    }
    this.emit('rtcp', msg, from);
  }

  private dropMalformed(err: unknown, rinfo: dgram.RemoteInfo, what: string): void {
    this.counters.malformed++;
    const code = err instanceof RtpError ? err.code : 'unknown';
    this.logOnce(`${what}:${code}`, 'dropped malformed packet', {
      what, code, error: err instanceof Error ? err.message : String(err), remote: `${rinfo.address}:${rinfo.port}`, localPort: this.rtpPort,
    });
  }

  /** RFC 3711 3.3 step 5 / 3.3.2: failed packets are dropped and counted, never thrown. */
  private dropSrtp(why: SrtpDrop, rinfo: dgram.RemoteInfo, what: string): void {
    if (why === 'auth') this.counters.srtpAuthFailures++;
    else if (why === 'replay') this.counters.srtpReplays++;
    else this.counters.malformed++;
    this.logOnce(`${what}:${why}`, 'dropped srtp packet', { what, why, remote: `${rinfo.address}:${rinfo.port}`, localPort: this.rtpPort });
  }

  private logOnce(key: string, msg: string, meta: object): void {
    if (this.loggedErrors.has(key)) return;
    this.loggedErrors.add(key);
    this.logger.warn(msg, meta);
  }
}

/** Unprotect without ever throwing into the socket callback (a crypto error counts as malformed). */
function unprotect(srtp: SrtpSession, msg: Buffer, what: 'rtp' | 'rtcp'): Buffer | SrtpDrop {
  try {
    return what === 'rtp' ? srtp.unprotectRtp(msg) : srtp.unprotectRtcp(msg);
  } catch {
    return 'malformed';
  }
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p > 0 && p < 65536;
}

async function bindPair(address: string, rtpPort: number): Promise<[dgram.Socket, dgram.Socket]> {
  const rtp = await bindOne(address, rtpPort);
  try {
    return [rtp, await bindOne(address, rtpPort + 1)];
  } catch (err) {
    rtp.close();
    throw err;
  }
}

function bindOne(address: string, port: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind({ port, address, exclusive: true }, () => {
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

/**
 * SIP over TLS (RFC 3261 26.2, 18): certificate material from files, a listening server, and
 * client connections that verify the peer against a configured CA.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

export interface TlsTransportOptions {
  /** TLS listen port; 0 lets the OS choose. Default 5061 (RFC 3261 19.1.2). */
  port?: number;
  /** PEM certificate chain file presented to peers. Required. */
  certFile: string;
  /** PEM private key file for `certFile`. Required. */
  keyFile: string;
  /** PEM CA bundle used to verify peers' certificates; default: Node's built-in public roots. */
  caFile?: string;
  /**
   * Verify the certificate of servers we connect to (chain and host name / IP SAN). Default true.
   * Set false only on private lines where terminals present self-signed certificates: the
   * connection is then encrypted but not authenticated.
   */
  verifyPeer?: boolean;
}

export const DEFAULT_TLS_PORT = 5061;

/** A peer must finish the TLS handshake within this many ms (Node's default is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  verifyPeer: boolean;
}

/** Reads the files once at start; a missing or unreadable file fails start-up with its path. */
export function loadTlsMaterial(o: TlsTransportOptions): TlsMaterial {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`sip tls: cannot read ${what} file ${path}: ${(e as Error).message}`);
    }
  };
  return {
    cert: read('certificate', o.certFile),
    key: read('key', o.keyFile),
    ca: o.caFile ? read('CA', o.caFile) : undefined,
    verifyPeer: o.verifyPeer ?? true,
  };
}

export function createTlsServer(m: TlsMaterial, onSocket: (s: tls.TLSSocket) => void): tls.Server {
  // Peers are not asked for a client certificate: SIP authenticates them by digest (RFC 3261 22).
  return tls.createServer({ cert: m.cert, key: m.key, ca: m.ca, requestCert: false,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, onSocket);
}

/** Upgrades a connected TCP socket; resolves once the handshake (and verification, if on) succeeded. */
export function dialTls(m: TlsMaterial, tcp: net.Socket, address: string, serverName?: string): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      socket: tcp, host: address, ca: m.ca, cert: m.cert, key: m.key,
      rejectUnauthorized: m.verifyPeer,
      // SNI carries names only (RFC 6066 3); an IP literal is checked against the IP SANs.
      servername: serverName && !net.isIP(serverName) ? serverName : undefined,
    });
    const fail = (err: Error): void => { tcp.destroy(); reject(err); };
    sock.once('error', fail);
    sock.once('secureConnect', () => {
      sock.off('error', fail);
      resolve(sock);
    });
  });
}

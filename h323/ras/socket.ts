// The datagram socket a RasTransport runs on: an interface so unit tests run in memory (STYLE 12),
// and the real UDP socket for the gateway and the interop tests.
import { createSocket } from 'node:dgram';
import type { IpPort } from '../asn1/index.ts';

export interface RasSocket {
  send(bytes: Uint8Array, to: IpPort): void;
  /** One handler; replaces any earlier one. */
  onMessage(fn: (bytes: Uint8Array, from: IpPort) => void): void;
  localAddress(): IpPort;
  close(): void;
}

/** Binds a UDP socket (port 0 = any free port). H.225.0 7.3: the well-known RAS port is 1719. */
export function openUdpRasSocket(bind = '0.0.0.0', port = 1719): Promise<RasSocket> {
  const sock = createSocket('udp4');
  let handler: (bytes: Uint8Array, from: IpPort) => void = () => {};
  let closed = false;
  sock.on('message', (msg, rinfo) => handler(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), { ip: rinfo.address, port: rinfo.port }));
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, bind, () => {
      sock.off('error', reject);
      sock.on('error', () => {}); // ICMP port unreachable and the like: the RAS timers handle loss
      resolve({
        send: (bytes, to) => { if (!closed) sock.send(bytes, to.port, to.ip); },
        onMessage: (fn) => { handler = fn; },
        localAddress: () => {
          const a = sock.address();
          return { ip: a.address, port: a.port };
        },
        close: () => {
          if (closed) return;
          closed = true;
          sock.close();
        },
      });
    });
  });
}

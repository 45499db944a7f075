/** A raw UDP SIP peer for tests: sends hand-written messages, waits for parsed replies by event. */
import dgram from 'node:dgram';
import { parseMessage, type SipMessage } from '../../sip/index.ts';

export class RawPeer {
  private readonly received: SipMessage[] = [];
  private waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];

  private constructor(private readonly sock: dgram.Socket, readonly port: number) {
    sock.on('message', (buf) => {
      const o = parseMessage(buf);
      if (o.kind !== 'message') return;
      this.received.push(o.message);
      const w = this.waiters.find((x) => x.pred(o.message));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(o.message);
      }
    });
  }

  static async open(): Promise<RawPeer> {
    const sock = dgram.createSocket('udp4');
    const port = await new Promise<number>((r) => sock.bind(0, '127.0.0.1', () => r(sock.address().port)));
    return new RawPeer(sock, port);
  }

  send(text: string, port: number): void {
    this.sock.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), port, '127.0.0.1');
  }

  /** Resolves with the first message (already received or future) matching `pred`, consuming it. */
  next(pred: (m: SipMessage) => boolean = () => true): Promise<SipMessage> {
    const idx = this.received.findIndex(pred);
    if (idx >= 0) return Promise.resolve(this.received.splice(idx, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ pred: (m) => {
      if (!pred(m)) return false;
      this.received.splice(this.received.indexOf(m), 1);
      return true;
    }, resolve }));
  }

  all(): SipMessage[] {
    return [...this.received];
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}

export const status = (s: number) => (m: SipMessage): boolean => !m.isRequest && m.status === s;
export const method = (name: string) => (m: SipMessage): boolean => m.isRequest && m.method === name;

/** A request as a hand-written peer would send it. */
export function rawRequest(o: { method: string; port: number; peerPort: number; callId: string; cseq?: number;
  branch?: string; toTag?: string; extra?: string; body?: string; contentLength?: number; maxForwards?: number }): string {
  const body = o.body ?? '';
  const cl = o.contentLength ?? Buffer.byteLength(body);
  return [
    `${o.method} sip:room@127.0.0.1:${o.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${o.peerPort};branch=${o.branch ?? `z9hG4bK${o.callId}${o.method}`};rport`,
    `Max-Forwards: ${o.maxForwards ?? 70}`,
    `From: <sip:peer@127.0.0.1:${o.peerPort}>;tag=peertag`,
    `To: <sip:room@127.0.0.1:${o.port}>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq ?? 1} ${o.method}`,
    `Contact: <sip:peer@127.0.0.1:${o.peerPort}>`,
    ...(o.extra ? [o.extra] : []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${cl}`,
    '',
    body,
  ].join('\r\n');
}

// A bare UDP socket that speaks just enough SIP to probe the gateway's answers to odd requests:
// the requests are written by hand so they can be exactly as broken as a test needs.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

export interface RawResponse {
  status: number;
  text: string;
  header(name: string): string | undefined;
}

export class RawSipClient {
  private readonly received: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('message', (msg) => {
      this.received.push(msg.toString('utf8'));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** `address`: the loopback address to send from (e.g. 127.0.0.2 to look like another peer). */
  static async open(address = '127.0.0.1'): Promise<RawSipClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    return new RawSipClient(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: string | Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  /** Resolves with the first final (≥ 200) response whose Call-ID is `callId`. */
  async finalResponse(callId: string, timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.map(parseResponse).find((r) => r && r.status >= 200 && r.header('call-id') === callId);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no final response for ${callId} within ${timeoutMs} ms; got:\n${this.received.join('\n---\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** An INVITE from this socket to `ruri` with the given SDP body (Content-Length may lie). */
  invite(opts: { ruri: string; sdp: string; callId?: string; contentLength?: number }): { callId: string; text: string } {
    const callId = opts.callId ?? randomBytes(8).toString('hex');
    const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
    const body = opts.sdp;
    const text =
      `INVITE ${opts.ruri} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: "Probe" <sip:probe@127.0.0.1:${this.port}>;tag=${randomBytes(4).toString('hex')}\r\n` +
      `To: <${opts.ruri}>\r\n` +
      `Call-ID: ${callId}\r\n` +
      'CSeq: 1 INVITE\r\n' +
      `Contact: <sip:probe@127.0.0.1:${this.port}>\r\n` +
      'Content-Type: application/sdp\r\n' +
      `Content-Length: ${opts.contentLength ?? Buffer.byteLength(body)}\r\n\r\n` +
      body;
    return { callId, text };
  }

  /** ACK for a non-2xx final response (RFC 3261 17.1.1.3): same branch, To with the tag. */
  ackFor(inviteText: string, response: RawResponse): string {
    const line = (name: string) => new RegExp(`^${name}:.*$`, 'mi').exec(inviteText)![0];
    const ruri = inviteText.split(' ')[1];
    return [`ACK ${ruri} SIP/2.0`, line('Via'), 'Max-Forwards: 70', line('From'), `To: ${response.header('to')}`, line('Call-ID'), 'CSeq: 1 ACK', 'Content-Length: 0', '', ''].join('\r\n');
  }

  close(): void {
    this.socket.close();
  }
}

export function audioOffer(port: number, formats: string): string {
  return ['v=0', 'o=probe 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP ${formats}`, ''].join('\r\n');
}

function parseResponse(text: string): RawResponse | undefined {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(text);
  if (!m) return undefined;
  const head = text.split('\r\n\r\n')[0]!;
  return {
    status: Number(m[1]),
    text,
    header(name) {
      const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'mi');
      return re.exec(head)?.[1]?.trim();
    },
  };
}

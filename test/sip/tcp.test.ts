/** TCP transport behaviour: keepalives, stream framing errors, connection reuse for responses. */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage, SipStack, type SipResponse } from '../../sip/index.ts';
import { captureLogger, FAST_TIMERS, receivedText } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function stackAndSocket() {
  const logger = captureLogger();
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, transports: ['tcp'] });
  open.push(s);
  const sock = net.connect(s.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  open.push({ close: async () => { sock.destroy(); } });
  /** Resolves once the received bytes satisfy `pred`. */
  const until = receivedText(sock);
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return { s, sock, logger, until, closed };
}

function options(port: number, localPort: number, callId: string, contentLength: string | null): string {
  return [
    `OPTIONS sip:room@127.0.0.1:${port};transport=tcp SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:${localPort};branch=z9hG4bK${callId}`,
    'Max-Forwards: 70', 'From: <sip:t@127.0.0.1>;tag=a', `To: <sip:room@127.0.0.1:${port}>`,
    `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS',
    ...(contentLength === null ? [] : [`Content-Length: ${contentLength}`]), '', '',
  ].join('\r\n');
}

describe('SIP over TCP', () => {
  it('answers a double-CRLF keepalive ping with a CRLF pong (RFC 5626 3.5.1)', async () => {
    const { sock, until } = await stackAndSocket();
    sock.write('\r\n\r\n');
    expect(await until((b) => b.length >= 2)).toBe('\r\n');
  });

  it('answers requests on the connection they came on, two messages in one segment', async () => {
    const { s, sock, until } = await stackAndSocket();
    sock.write(options(s.port, sock.localPort!, 'o1', '0') + options(s.port, sock.localPort!, 'o2', '0'));
    const text = await until((b) => (b.match(/SIP\/2\.0 200/g) ?? []).length >= 2);
    expect(text).toContain('Call-ID: o1');
    expect(text).toContain('Call-ID: o2');
  });

  it('answers a request without Content-Length on a stream with 400 (RFC 3261 18.3)', async () => {
    const { s, sock, until } = await stackAndSocket();
    sock.write(options(s.port, sock.localPort!, 'nocl', null));
    const text = await until((b) => b.includes('\r\n\r\n'));
    const o = parseMessage(Buffer.from(text));
    expect(o.kind).toBe('message');
    const res = (o as { message: SipResponse }).message;
    expect([res.status, res.reason]).toEqual([400, 'missing Content-Length on stream transport']);
  });

  it('closes the connection when framing is lost (unparsable Content-Length), logging once', async () => {
    const { s, sock, logger, closed } = await stackAndSocket();
    sock.write(options(s.port, sock.localPort!, 'badcl', 'abc'));
    await closed;
    expect(logger.lines.filter((l) => l.level === 'warn' && l.msg.includes('framing'))).toHaveLength(1);
    expect(s.stats().serverTransactions).toBe(0);
  });
});

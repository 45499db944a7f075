/** Transport behaviour: large requests over TCP (RFC 3261 18.1.1), idle timeout, per-source connection cap. */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SipStack, type SipStackOptions } from '../../sip/index.ts';
import { captureLogger, FAST_TIMERS, SDP_A, SDP_B } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function stack(extra: Partial<SipStackOptions> = {}) {
  const logger = captureLogger();
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, ...extra });
  open.push(s);
  return { s, logger };
}

/** An SDP padded with attribute lines to about `bytes` bytes. */
function bigSdp(bytes: number): string {
  const lines: string[] = [];
  for (let i = 0; SDP_A.length + lines.join('\r\n').length < bytes; i++) lines.push(`a=x-pad${i}:${'p'.repeat(60)}`);
  return SDP_A + lines.join('\r\n') + '\r\n';
}

async function connect(port: number): Promise<net.Socket> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => { /* a refused connection is asserted by the test */ });
  await new Promise((r) => sock.once('connect', r));
  open.push({ close: async () => { sock.destroy(); } });
  return sock;
}

describe('large requests (RFC 3261 18.1.1)', () => {
  it('sends an INVITE over 1300 bytes to a UDP target over TCP, with TCP in the top Via', async () => {
    const { s: a } = await stack();
    const { s: b } = await stack();
    const seen = new Promise<{ transport: string; via: string }>((resolve) => b.on('invite', (inv) => {
      resolve({ transport: inv.source.transport, via: inv.request.headers.get('via') ?? '' });
      void inv.accept({ sdp: SDP_B }).catch(() => undefined);
    }));
    const sdp = bigSdp(2000);
    const out = a.invite({ requestUri: `sip:room@127.0.0.1:${b.port}`, fromUri: 'sip:gw@127.0.0.1', sdp });
    const got = await seen;
    expect(got.transport).toBe('tcp');
    expect(got.via).toMatch(/^SIP\/2\.0\/TCP /);
    const dialog = await out.result;
    expect(dialog.answerSdp).toBe(SDP_B);
    expect(a.transportStats().requestsMovedToTcp).toBe(1);
    await dialog.bye();
  });

  it('keeps a small INVITE on UDP, and a 1500-byte one too when the path MTU is 9000', async () => {
    const { s: a } = await stack({ pathMtu: 9000 });
    const { s: b } = await stack();
    const transports: string[] = [];
    b.on('invite', (inv) => { transports.push(inv.source.transport); void inv.accept({ sdp: SDP_B }).catch(() => undefined); });
    for (const sdp of [SDP_A, bigSdp(1500)]) {
      const d = await a.invite({ requestUri: `sip:room@127.0.0.1:${b.port}`, fromUri: 'sip:gw@127.0.0.1', sdp }).result;
      await d.bye();
    }
    expect(transports).toEqual(['udp', 'udp']);
    expect(a.transportStats().requestsMovedToTcp).toBe(0);
  });
});

describe('stream connections', () => {
  it('closes a TCP connection that stays idle past idleTimeoutMs', async () => {
    const { s } = await stack({ transports: ['tcp'], idleTimeoutMs: 150 });
    const sock = await connect(s.port);
    await new Promise<void>((r) => sock.once('close', () => r()));
    await vi.waitFor(() => expect(s.transportStats().connections.tcp).toBe(0), { timeout: 5000, interval: 20 });
  });

  it('refuses connections beyond maxConnectionsPerSource and counts them; earlier ones keep working', async () => {
    const { s } = await stack({ transports: ['tcp'], maxConnectionsPerSource: 2 });
    const first = await connect(s.port);
    await connect(s.port);
    const third = await connect(s.port);
    await new Promise<void>((r) => third.once('close', () => r()));
    expect(s.transportStats().connectionsRefused).toBe(1);
    expect(s.transportStats().connections.tcp).toBe(2);
    first.write('\r\n\r\n'); // RFC 5626 3.5.1 ping still answered on an admitted connection
    const pong = await new Promise<string>((r) => first.once('data', (d) => r(d.toString())));
    expect(pong).toBe('\r\n');
  });

  /** A raw TCP server standing in for a SIP peer; records every byte of its first connection. */
  async function rawServer() {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const conn = new Promise<net.Socket>((resolve) => server.once('connection', (c) => {
      open.push({ close: async () => { c.destroy(); } });
      resolve(c);
    }));
    return { port: (server.address() as net.AddressInfo).port, conn };
  }

  it('pings a connection it opened with CRLFCRLF and keeps it while pongs come back (RFC 5626 4.4.1)', async () => {
    // Each ping's pong window (600 ms) ends before the next ping, so a third ping proves the pongs were heard.
    const { s } = await stack({ keepalive: { intervalMs: 60, pongTimeoutMs: 600 } });
    const peer = await rawServer();
    const out = s.invite({ requestUri: `sip:x@127.0.0.1:${peer.port};transport=tcp`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A });
    out.result.catch(() => undefined); // the raw peer never answers; only the connection matters here
    const c = await peer.conn;
    let pings = 0;
    const threePings = new Promise<void>((resolve) => c.on('data', (d) => {
      // Pings are written ~600 ms apart, so each arrives as its own 4-byte chunk.
      if (d.toString('latin1') !== '\r\n\r\n') return;
      c.write('\r\n'); // pong
      if (++pings === 3) resolve();
    }));
    await threePings;
    expect(c.destroyed).toBe(false);
    expect(s.transportStats().connections.tcp).toBe(1);
  });

  it('closes a connection it opened when a ping gets no pong within pongTimeoutMs', async () => {
    const { s, logger } = await stack({ keepalive: { intervalMs: 60, pongTimeoutMs: 100 } });
    const peer = await rawServer();
    s.invite({ requestUri: `sip:x@127.0.0.1:${peer.port};transport=tcp`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A })
      .result.catch(() => undefined);
    const c = await peer.conn;
    c.resume(); // read and ignore: no pong
    await new Promise<void>((r) => c.once('close', () => r()));
    expect(logger.lines.some((l) => l.msg.startsWith('sip keepalive pong missing'))).toBe(true);
  });
});

/** Per-source rate limiting before parsing: token buckets, drop counting, one log line per source per interval. */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SourceRateLimiter } from '../../sip/rate-limit/source-rate-limiter.ts';
import { parseMessage, SipStack, type SipResponse } from '../../sip/index.ts';
import { captureLogger, FAST_TIMERS } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

const limitLines = (l: ReturnType<typeof captureLogger>) => l.lines.filter((x) => x.msg.startsWith('sip rate limit exceeded'));

describe('SourceRateLimiter', () => {
  it('admits a burst, then refills at the sustained rate', () => {
    let now = 1000;
    const rl = new SourceRateLimiter({ perSourcePerSecond: 2, burst: 3 }, () => now, captureLogger());
    expect([1, 2, 3, 4].map(() => rl.admit('10.0.0.1', 'udp'))).toEqual([true, true, true, false]);
    now += 499;
    expect(rl.admit('10.0.0.1', 'udp')).toBe(false); // 0.998 token
    now += 1;
    expect(rl.admit('10.0.0.1', 'udp')).toBe(true);  // one token after 500 ms at 2/s
    expect(rl.stats()).toEqual({ dropped: 2, limitedSources: 1 });
  });

  it('keeps sources apart: one exhausted bucket does not touch another', () => {
    const rl = new SourceRateLimiter({ perSourcePerSecond: 1, burst: 1 }, () => 0, captureLogger());
    expect(rl.admit('10.0.0.1', 'udp')).toBe(true);
    expect(rl.admit('10.0.0.1', 'udp')).toBe(false);
    expect(rl.admit('10.0.0.2', 'udp')).toBe(true);
  });

  it('logs a limited source once per interval, with the drops counted since the last line', () => {
    let now = 0;
    const logger = captureLogger();
    const rl = new SourceRateLimiter({ perSourcePerSecond: 1, burst: 1, logIntervalMs: 10_000 }, () => now, logger);
    rl.admit('10.0.0.1', 'udp');
    for (let i = 0; i < 100; i++) rl.admit('10.0.0.1', 'udp');
    expect(limitLines(logger)).toHaveLength(1);
    now = 10_000; // 10 tokens refilled, then 90 more drops
    for (let i = 0; i < 100; i++) rl.admit('10.0.0.1', 'udp');
    const lines = limitLines(logger);
    expect(lines).toHaveLength(2);
    expect(lines[1].meta).toMatchObject({ address: '10.0.0.1', droppedSinceLastLog: 100 }); // 99 before + 1 now
  });

  it('bounds memory: tracks at most maxSources addresses', () => {
    const rl = new SourceRateLimiter({ perSourcePerSecond: 1, burst: 1, maxSources: 100 }, () => 0, captureLogger());
    for (let i = 0; i < 1000; i++) rl.admit(`10.0.${i >> 8}.${i & 255}`, 'udp');
    expect((rl as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(100);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new SourceRateLimiter({ perSourcePerSecond: 0 }, () => 0, captureLogger())).toThrow(RangeError);
  });
});

async function udpFrom(address: string) {
  const sock = dgram.createSocket('udp4');
  const port = await new Promise<number>((r) => sock.bind(0, address, () => r(sock.address().port)));
  open.push({ close: () => new Promise<void>((r) => sock.close(() => r())) });
  return { sock, port };
}

function options(to: number, fromPort: number, callId: string): string {
  return [
    `OPTIONS sip:room@127.0.0.1:${to} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.2:${fromPort};branch=z9hG4bK${callId};rport`,
    'Max-Forwards: 70', 'From: <sip:monitor@127.0.0.2>;tag=m', `To: <sip:room@127.0.0.1:${to}>`,
    `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n');
}

describe('rate limiting on the SIP port', () => {
  it('drops a 5,000-datagram junk burst from one source (counted, logged once) while another source gets 200 to OPTIONS', async () => {
    const logger = captureLogger();
    const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, transports: ['udp'],
      rateLimit: { perSourcePerSecond: 50, burst: 100, logIntervalMs: 600_000 } });
    open.push(s);
    const flood = await udpFrom('127.0.0.1');
    const legit = await udpFrom('127.0.0.2');
    const answers: SipResponse[] = [];
    const answered: (() => void)[] = [];
    legit.sock.on('message', (buf) => {
      const o = parseMessage(buf);
      if (o.kind === 'message' && !o.message.isRequest) answers.push(o.message as SipResponse);
      answered.splice(0).forEach((w) => w());
    });
    const untilAnswers = (n: number) => new Promise<void>((resolve) => {
      const check = () => (answers.length >= n ? resolve() : answered.push(check));
      check();
    });
    // Parsed junk is counted (and logged, throttled per source) by the stack; rate-limited junk only
    // counted. Both counters together account for every datagram.
    const seen = () => s.transportStats().rateLimitedDropped + s.transportStats().unparseableDropped;
    const junk = Buffer.from('\x16\x03\x01\x00 not sip at all \x00\xff');
    const BATCH = 50;
    for (let sent = 0; sent < 5000; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) flood.sock.send(junk, s.port, '127.0.0.1');
      // Wait until the stack has seen the batch so the kernel buffer never overflows (exact counts).
      await vi.waitFor(() => expect(seen()).toBe(sent + BATCH), { timeout: 10_000, interval: 2 });
      if (sent === 2500) legit.sock.send(options(s.port, legit.port, 'mid-flood'), s.port, '127.0.0.1');
    }
    legit.sock.send(options(s.port, legit.port, 'after-flood'), s.port, '127.0.0.1');
    await untilAnswers(2);
    expect(answers.map((r) => [r.callId, r.status]).sort()).toEqual([['after-flood', 200], ['mid-flood', 200]]);
    const stats = s.transportStats();
    expect(stats.rateLimitedDropped).toBeGreaterThan(4000); // burst 100 + 50/s admitted
    expect(stats.rateLimitedSources).toBe(1);
    const lines = limitLines(logger);
    expect(lines).toHaveLength(1);
    expect(lines[0].meta).toMatchObject({ address: '127.0.0.1', transport: 'udp' });
  });

  it('is on by default with limits that leave ordinary traffic alone', async () => {
    const logger = captureLogger();
    const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, transports: ['udp'] });
    open.push(s);
    const legit = await udpFrom('127.0.0.2');
    let answered = 0;
    let wake: () => void = () => undefined;
    legit.sock.on('message', () => { answered++; wake(); });
    // 400 OPTIONS in batches of 20 (each batch answered before the next, so no socket buffer overflows).
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 20; i++) legit.sock.send(options(s.port, legit.port, `o${batch}-${i}`), s.port, '127.0.0.1');
      await new Promise<void>((resolve) => {
        wake = () => { if (answered >= (batch + 1) * 20) resolve(); };
        wake();
      });
    }
    expect(answered).toBe(400);
    expect(s.transportStats().rateLimitedDropped).toBe(0);
  });

  it('limits framed messages on a TCP connection too, before parsing, keeping the stream in sync', async () => {
    const logger = captureLogger();
    const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger, timers: FAST_TIMERS, transports: ['tcp'],
      rateLimit: { perSourcePerSecond: 0.01, burst: 3 } });
    open.push(s);
    const sock = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    open.push({ close: async () => { sock.destroy(); } });
    let text = '';
    sock.on('data', (d) => { text += d.toString(); });
    const req = (i: number) => options(s.port, sock.localPort!, `tcp-${i}`).replace('SIP/2.0/UDP', 'SIP/2.0/TCP');
    sock.write(Array.from({ length: 10 }, (_, i) => req(i)).join(''));
    await vi.waitFor(() => expect(s.transportStats().rateLimitedDropped).toBe(7), { timeout: 5000, interval: 10 });
    await vi.waitFor(() => expect((text.match(/SIP\/2\.0 200/g) ?? []).length).toBe(3), { timeout: 5000, interval: 10 });
    expect(['tcp-0', 'tcp-1', 'tcp-2'].every((id) => text.includes(`Call-ID: ${id}`))).toBe(true);
    expect(limitLines(logger)).toHaveLength(1);
    expect(sock.destroyed).toBe(false); // dropping whole frames keeps the connection usable
  });
});

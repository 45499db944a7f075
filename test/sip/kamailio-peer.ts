/** Debian's Kamailio on loopback for the auth/registration interop tests (registration-kamailio.cfg), and the per-test scope that stops it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { SipStack, type SipRequest } from '../../sip/index.ts';
import { captureLogger } from './helpers.ts';
import { freePort } from './sipp.ts';

const CONFIG = fileURLToPath(new URL('./registration-kamailio.cfg', import.meta.url));

export const kamailioInstalled = spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).status === 0;

export interface KamailioPeer {
  port: number;
  uri: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Kamailio in the foreground (-DD) in its own process group and resolves once it answers
 * SIP on its port, so the tests' transaction timers never race its start-up.
 */
export async function startKamailio(opts: {
  algorithm: 'MD5' | 'SHA-256';
  password: string;
  uasUri?: string;
  /** Registrar min_expires, s. Default 60. */
  minExpires?: number;
  /** Log every saved REGISTER on stderr (`log()`). Default false. */
  logRegister?: boolean;
}): Promise<KamailioPeer> {
  const port = await freePort();
  const runtimeDir = mkdtempSync(join(tmpdir(), 'roomgate-kamailio-auth-'));
  const defines = [`ALGORITHM="${opts.algorithm}"`, `PASSWORD="${opts.password}"`, ...(opts.uasUri ? [`UAS_URI="${opts.uasUri}"`] : []),
    ...(opts.minExpires !== undefined ? [`MIN_EXPIRES=${opts.minExpires}`] : []), ...(opts.logRegister ? ['LOG_REGISTER'] : [])];
  const child: ChildProcess = spawn('kamailio', ['-f', CONFIG, '-DD', '-E', '-l', `udp:127.0.0.1:${port}`,
    ...defines.flatMap((d) => ['-A', d]), '-n', '1', '-m', '64', '-Y', runtimeDir],
  { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 50_000) stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const peer: KamailioPeer = {
    port, uri: `sip:127.0.0.1:${port}`, log: () => stderr,
    stop() {
      stopping ??= (async () => {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
        await exited;
        rmSync(runtimeDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  try {
    await answersSip(port, exited);
  } catch (err) {
    await peer.stop();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return peer;
}

/** SIP timers against Kamailio: it already answers (startKamailio waits for it); T1 50 ms leaves Timer F 3.2 s of slack under load. */
export const KAMAILIO_TIMERS = { t1Ms: 50, t2Ms: 400, t4Ms: 200, tdMs: 500 };

/**
 * What a Kamailio interop test starts, stopped after each test, the last started first. Call it
 * once at the top of a test file: it registers the afterEach.
 */
export function kamailioTestScope() {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });
  return {
    /** Runs `cleanup` after the current test. */
    defer(cleanup: () => Promise<void> | void): void {
      cleanups.push(cleanup);
    },
    /** Kamailio started with `opts`, stopped after the test. */
    async kamailio(opts: Parameters<typeof startKamailio>[0]): Promise<KamailioPeer> {
      const k = await startKamailio(opts);
      cleanups.push(() => k.stop());
      return k;
    },
    /** Our SipStack on UDP loopback with KAMAILIO_TIMERS, closed after the test; `sent` records each request it sends. */
    async sipStack(): Promise<{ s: SipStack; sent: SipRequest[] }> {
      const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: KAMAILIO_TIMERS, transports: ['udp'] });
      cleanups.push(() => s.close());
      const sent: SipRequest[] = [];
      const send = s.sendRequest.bind(s);
      s.sendRequest = (req, dest, user) => { sent.push(req); return send(req, dest, user); };
      return { s, sent };
    },
  };
}

/** Sends OPTIONS every 50 ms (retry pacing while the process starts) until any response arrives. */
async function answersSip(port: number, exited: Promise<void>, attempts = 200): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const local = sock.address().port;
  try {
    await new Promise<void>((resolve, reject) => {
      let n = 0;
      let timer: NodeJS.Timeout | undefined;
      const probe = (): void => {
        if (n++ >= attempts) return reject(new Error(`kamailio not answering on udp ${port}`));
        const msg = `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKprobe${n}\r\n` +
          `From: <sip:probe@127.0.0.1>;tag=p\r\nTo: <sip:127.0.0.1>\r\nCall-ID: probe-${n}\r\nCSeq: ${n} OPTIONS\r\n` +
          'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
        sock.send(msg, port, '127.0.0.1');
        timer = setTimeout(probe, 50);
      };
      sock.once('message', () => { clearTimeout(timer); resolve(); });
      void exited.then(() => { clearTimeout(timer); reject(new Error('kamailio exited')); });
      probe();
    });
  } finally {
    sock.close();
  }
}

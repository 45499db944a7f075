/**
 * Starts Debian's Kamailio as a stateful proxy on loopback (stateful-proxy.cfg beside this file)
 * for bench/sip-call-rate.ts. The process runs in the foreground (-DD) in its own process group,
 * so stop() ends the main process and every worker it forked.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONFIG = fileURLToPath(new URL('./stateful-proxy.cfg', import.meta.url));
const STOP_GRACE_MS = 2000;

export interface KamailioProxyOptions {
  /** UDP listen port on 127.0.0.1. Required. */
  port: number;
  /** Next hop for every request, e.g. 'sip:127.0.0.1:5080' (must be on loopback). Required. */
  uasUri: string;
  /** UDP worker processes (kamailio -n). Required. */
  workers: number;
  /** Shared memory in MiB (kamailio -m); tm keeps each transaction ~5 s after it ends. Default 1024. */
  sharedMemoryMiB?: number;
}

export interface KamailioProxy {
  readonly pid: number;
  /** Kamailio's stderr so far (errors only at debug=-1). */
  readonly log: () => string;
  /** SIGTERM to the process group, SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
}

/** True when the kamailio binary is installed (scripts/setup.sh installs it). */
export function kamailioInstalled(): boolean {
  return spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).status === 0;
}

export function startKamailioProxy(opts: KamailioProxyOptions): KamailioProxy {
  if (!/^sip:127\.\d+\.\d+\.\d+:\d+$/.test(opts.uasUri)) throw new Error(`uasUri must be on 127.0.0.0/8: ${opts.uasUri}`);
  const runtimeDir = mkdtempSync(join(tmpdir(), 'roomgate-kamailio-'));
  const child: ChildProcess = spawn('kamailio', [
    '-f', CONFIG, '-DD', '-E',
    '-l', `udp:127.0.0.1:${opts.port}`,
    '-A', `UAS_URI="${opts.uasUri}"`,
    '-n', String(opts.workers),
    '-m', String(opts.sharedMemoryMiB ?? 1024),
    '-Y', runtimeDir,
  ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  child.on('error', () => undefined); // spawn failure: stop() still works, the caller's port wait fails
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 100_000) stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;

  const signalGroup = (signal: NodeJS.Signals): void => {
    try { process.kill(-child.pid!, signal); } catch { /* already gone */ }
  };
  return {
    pid: child.pid!,
    log: () => stderr,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          signalGroup('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([exited, new Promise<void>((r) => { timer = setTimeout(r, STOP_GRACE_MS); })]);
          clearTimeout(timer);
        }
        signalGroup('SIGKILL'); // workers that outlived the main process
        rmSync(runtimeDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

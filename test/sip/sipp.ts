/** Runs the real SIPp as a child process for interop tests; every child is tracked for cleanup. */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();

export interface SippResult {
  code: number | null;
  /** Screen output, followed by SIPp's error trace (unexpected messages, timeouts) if any. */
  output: string;
  successful: number;
  failed: number;
}

function lastCounter(output: string, name: string): number {
  const lines = output.split('\n').filter((l) => l.includes(name));
  const cells = (lines.at(-1) ?? '').split('|');
  return Number(cells[2]?.trim() ?? NaN);
}

/** Starts sipp bound to 127.0.0.1 with a global timeout so it always exits. */
export function runSipp(args: string[]): { done: Promise<SippResult>; child: ChildProcess } {
  const dir = mkdtempSync(join(tmpdir(), 'roomgate-sipp-'));
  const errorFile = join(dir, 'errors.log');
  const child = spawn('sipp', ['-i', '127.0.0.1', '-nostdin', '-timeout', '60s', '-timeout_error',
    '-trace_err', '-error_file', errorFile, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const done = new Promise<SippResult>((resolve) => {
    // 'close' (not 'exit'): the final statistics screen must be fully read before counting.
    child.on('close', (code) => {
      children.delete(child);
      try { output += `\n--- sipp errors ---\n${readFileSync(errorFile, 'utf8').slice(0, 6000)}`; } catch { /* none */ }
      resolve({ code, output, successful: lastCounter(output, 'Successful call'), failed: lastCounter(output, 'Failed call') });
    });
  });
  return { done, child };
}

export function killAllSipp(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** A port free for both UDP and TCP on 127.0.0.1, as the OS reports it (small race accepted). */
export async function freePort(): Promise<number> {
  for (;;) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) await new Promise<void>((r) => tcp.close(() => r()));
    if (ok) return port;
  }
}

/** Resolves once something accepts TCP connections on the port (sipp has started listening). */
export async function waitForTcpListener(port: number, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25)); // retry pacing while the peer process starts
  }
  throw new Error(`nothing listening on tcp ${port}`);
}

// Child-process lifecycle for interop tests: spawn a peer, keep its recent output for error
// messages, wait for output lines with a deadline, stop it for sure. Plus loopback port
// allocation asked from the OS.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { EventEmitter } from 'node:events';

/** Lines of output kept per process (older lines are dropped). */
const KEPT_LINES = 2000;
/** Lines of output quoted in error messages. */
export const QUOTED_LINES = 30;

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ManagedProcessEvents {
  /** One line of stdout or stderr, ANSI colour codes removed. */
  line: [line: string];
  exit: [status: ExitStatus];
}

/** Every process spawned here, killed if the test runner exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class ManagedProcess extends EventEmitter<ManagedProcessEvents> {
  readonly child: ChildProcess;
  readonly name: string;
  /** Recent output lines, oldest first. */
  readonly lines: string[] = [];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  exitStatus: ExitStatus | undefined;

  constructor(command: string, args: string[], options: SpawnOptions & { name?: string } = {}) {
    super();
    this.name = options.name ?? command;
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      const done = (status: ExitStatus): void => {
        if (this.exitStatus) return;
        this.exitStatus = status;
        live.delete(this.child);
        this.emit('exit', status);
        resolve(status);
      };
      this.child.once('exit', (code, signal) => done({ code, signal }));
      this.child.once('error', (err) => {
        this.push(`[spawn error] ${err.message}`);
        done({ code: null, signal: null });
      });
    });
    this.collect(this.child.stdout);
    this.collect(this.child.stderr);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The last `count` output lines, joined, for error messages. */
  tail(count = QUOTED_LINES): string {
    return this.lines.slice(-count).join('\n');
  }

  /**
   * Resolves with the first output line matching `pattern` that arrives after the call (or,
   * with `fromLine`, at or after that index into `lines`). Rejects at the deadline or when the
   * process exits first, quoting the recent output.
   */
  waitForLine(pattern: RegExp, timeoutMs: number, fromLine = this.lineCount): Promise<string> {
    const already = this.lines.slice(Math.max(0, fromLine - this.dropped)).find((l) => pattern.test(l));
    if (already !== undefined) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const onLine = (line: string): void => {
        if (pattern.test(line)) finish(() => resolve(line));
      };
      const onExit = (status: ExitStatus): void =>
        finish(() => reject(new Error(`${this.name} exited (${describeExit(status)}) while waiting for ${pattern}\n${this.tail()}`)));
      const timer = setTimeout(
        () => finish(() => reject(new DeadlineError(`${this.name}: no output matching ${pattern} within ${timeoutMs} ms\n${this.tail()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('exit', onExit);
        settle();
      };
      this.on('line', onLine);
      if (!this.running) onExit(this.exitStatus!);
      else this.on('exit', onExit);
    });
  }

  /** Total lines ever seen (an index for `waitForLine`'s `fromLine`). */
  get lineCount(): number {
    return this.dropped + this.lines.length;
  }

  /**
   * Ends the process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited.
   * Safe to call repeatedly and after the process has exited by itself.
   */
  async kill(graceMs = 2000): Promise<ExitStatus> {
    if (!this.running) return this.exitStatus!;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  private dropped = 0;

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) {
      this.lines.shift();
      this.dropped++;
    }
    this.emit('line', line);
  }

  private collect(stream: NodeJS.ReadableStream | null): void {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split(/\r\n|\r|\n/);
      partial = parts.pop() ?? '';
      for (const p of parts) this.push(stripAnsi(p));
    });
    stream.on('end', () => {
      if (partial) this.push(stripAnsi(partial));
      partial = '';
    });
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** Rejects with a DeadlineError carrying `describe()` when `promise` takes longer than `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(describe())), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// ---- loopback ports -------------------------------------------------------------------------

const LOOPBACK = '127.0.0.1';

function listenTcp(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(port: number): Promise<ReturnType<typeof createSocket> | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, LOOPBACK, () => resolve(socket));
  });
}

/** A TCP port on 127.0.0.1 that the OS reports free. */
export async function freeTcpPort(): Promise<number> {
  const server = await listenTcp(0);
  if (!server) throw new Error('could not bind any TCP port on 127.0.0.1');
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A port P on 127.0.0.1 such that UDP P, TCP P and TCP P+1 … P+extraTcp are all free right now
 * (baresip, for one, binds TLS on sip_listen's port + 1).
 */
export async function freeSipPort(extraTcp = 1, attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const udp = await bindUdp(0);
    if (!udp) continue;
    const port = udp.address().port;
    const held: Server[] = [];
    let ok = true;
    for (let p = port; p <= port + extraTcp && ok; p++) {
      const s = p <= 65535 ? await listenTcp(p) : undefined;
      if (s) held.push(s);
      else ok = false;
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) return port;
  }
  throw new Error(`no free UDP+TCP port with ${extraTcp} free TCP neighbours on 127.0.0.1`);
}

/**
 * The bench's handle on a load generator process (generator.ts, forked under tsx): open N UDP
 * endpoints, run a load with a warm-up and a measured window, get the figures back. The child
 * is killed on close(), on error and when this process exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromGenerator, GeneratorResult, RunOptions, ToGenerator } from './generator-protocol.ts';

const ENTRY = fileURLToPath(new URL('./generator.ts', import.meta.url));
const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export class GeneratorProcess {
  private constructor(private readonly child: ChildProcess) {}

  static start(): GeneratorProcess {
    const child = fork(ENTRY, [], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return new GeneratorProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Binds `count` UDP sockets on 127.0.0.1; their ports, in order. */
  open(count: number): Promise<number[]> {
    return this.request({ type: 'open', count }, (m) => (m.type === 'opened' ? m.ports : undefined));
  }

  /** Runs the load; `onMeasuring` fires when the measured window opens (read CPU counters there). */
  run(options: RunOptions, onMeasuring: () => void): Promise<GeneratorResult> {
    return this.request({ type: 'run', options }, (m) => {
      if (m.type === 'measuring') onMeasuring();
      return m.type === 'done' ? m.result : undefined;
    });
  }

  close(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    live.delete(this.child);
  }

  private request<T>(msg: ToGenerator, pick: (m: FromGenerator) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onMessage = (raw: unknown): void => {
        const m = raw as FromGenerator;
        if (m.type === 'error') { cleanup(); reject(new Error(`generator: ${m.message}`)); return; }
        const v = pick(m);
        if (v !== undefined) { cleanup(); resolve(v); }
      };
      const onExit = (code: number | null): void => { cleanup(); reject(new Error(`generator exited (${code})`)); };
      const cleanup = (): void => { this.child.off('message', onMessage); this.child.off('exit', onExit); };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(msg);
    });
  }
}

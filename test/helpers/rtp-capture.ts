// Captures UDP on the loopback interface with tshark (a real, independent observer of what a
// peer received) and reads back each datagram's arrival time and payload.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CapturedDatagram {
  /** Capture time, wall-clock ms (same clock as Date.now()). */
  atMs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export class LoopbackCapture {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    private readonly file: string,
  ) {}

  /** Starts `tshark -i lo -f <filter>`; resolves once tshark reports it is capturing. */
  static async start(bpfFilter: string, snaplen = 96): Promise<LoopbackCapture> {
    const dir = mkdtempSync(join(tmpdir(), 'roomgate-capture-'));
    const file = join(dir, 'capture.pcapng');
    const proc = spawn('tshark', ['-i', 'lo', '-f', bpfFilter, '-s', String(snaplen), '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const onData = (chunk: Buffer): void => {
        err += chunk.toString();
        if (err.includes('Capturing on')) {
          proc.stderr!.off('data', onData);
          resolve();
        }
      };
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`tshark exited (${code}): ${err.trim()}`)));
    });
    proc.stderr!.resume();
    return new LoopbackCapture(proc, dir, file);
  }

  /**
   * Stops the capture and lets tshark dissect it: `decodeAs` entries (`-d`, e.g.
   * `udp.port==5000,rtp`), preferences (`-o`, e.g. `rtp.heuristic_rtp:TRUE`), a display filter
   * and the fields to print; one row of field values per matching frame.
   */
  async stopAndDissect(opts: { decodeAs: string[]; prefs?: string[]; displayFilter: string; fields: string[] }): Promise<string[][]> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGINT');
      await exited;
    }
    const args = ['-r', this.file, ...(opts.prefs ?? []).flatMap((o) => ['-o', o]), ...opts.decodeAs.flatMap((d) => ['-d', d]), '-Y', opts.displayFilter, '-T', 'fields', '-E', 'separator=,', '-E', 'occurrence=f'];
    for (const f of opts.fields) args.push('-e', f);
    const out = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    rmSync(this.dir, { recursive: true, force: true });
    if (out.status !== 0) throw new Error(`tshark -r failed: ${out.stderr}`);
    return out.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split(','));
  }

  /** Stops the capture and returns every datagram it saw, in order. */
  async stop(): Promise<CapturedDatagram[]> {
    if (this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGINT');
      await exited;
    }
    const out = spawnSync('tshark', ['-r', this.file, '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'udp.payload'], {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
    rmSync(this.dir, { recursive: true, force: true });
    if (out.status !== 0) throw new Error(`tshark -r failed: ${out.stderr}`);
    const datagrams: CapturedDatagram[] = [];
    for (const line of out.stdout.split('\n')) {
      const [t, src, dst, hex] = line.split(',');
      if (!t || !hex) continue;
      datagrams.push({ atMs: Number(t) * 1000, srcPort: Number(src), dstPort: Number(dst), payload: Buffer.from(hex.replace(/:/g, ''), 'hex') });
    }
    return datagrams;
  }
}

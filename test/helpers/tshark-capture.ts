// A live tshark capture on loopback for the H.323 interop tests: tshark writes a pcapng file
// while the test runs calls; a sentinel datagram to a UDP port of ours, found in the file, shows
// the capture is running (start) and that everything sent before it is written (stop). The file
// is then read back through tshark's dissectors: fields, PDML `showname`s, expert infos.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';

/** One expert info as tshark reports it (epan/proto.h PI_* values). */
export interface ExpertInfo {
  frame: number;
  severity: number;
  group: number;
  message: string;
  protocols: string;
}

/** epan/proto.h: PI_SEQUENCE, the TCP sequence analysis group (SYN/FIN notes, retransmissions). */
export const PI_SEQUENCE = 0x2000000;
/** epan/proto.h severities. */
export const PI_CHAT = 0x200000;
export const PI_WARN = 0x600000;

/** Resolves once tshark prints "Capturing on"; rejects if it exits first. */
export function captureStarted(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Capturing on/.test(err)) resolve();
    });
    p.once('exit', (code) => reject(new Error(`tshark exited ${code}: ${err}`)));
  });
}

export class TsharkCapture {
  private marks = 0;
  private stopped = false;

  private constructor(
    private readonly dir: string,
    /** The pcapng file tshark writes. */
    readonly pcap: string,
    private readonly tshark: ChildProcess,
    private readonly sentinel: Socket,
    /** The sentinel's UDP port (captured with the traffic). */
    readonly sentinelPort: number,
  ) {}

  /** Starts `tshark -i lo -f "(<bpf>) or udp port <sentinel>"` and resolves once its file holds the first sentinel. */
  static async start(bpf: string, prefix = 'roomgate-tshark-'): Promise<TsharkCapture> {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const pcap = join(dir, 'call.pcapng');
    const sentinel = createSocket('udp4');
    sentinel.on('message', () => undefined);
    await new Promise<void>((r) => sentinel.bind(0, '127.0.0.1', r));
    const sPort = sentinel.address().port;
    const tshark = spawn('tshark', ['-i', 'lo', '-f', `(${bpf}) or udp port ${sPort}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
    const capture = new TsharkCapture(dir, pcap, tshark, sentinel, sPort);
    try {
      await captureStarted(tshark);
      await capture.mark();
    } catch (err) {
      await capture.stop().catch(() => undefined);
      capture.remove();
      throw err;
    }
    return capture;
  }

  /** A datagram to our own port, captured with the calls: resolves once tshark's file holds it. */
  async mark(): Promise<void> {
    const tag = `roomgate-sentinel-${++this.marks}`;
    await vi.waitFor(() => {
      this.sentinel.send(tag, this.sentinelPort, '127.0.0.1');
      const out = spawnSync('tshark', ['-r', this.pcap, '-Y', `udp.port == ${this.sentinelPort}`, '-T', 'fields', '-e', 'data.data'], { encoding: 'utf8' });
      expect(out.stdout).toContain(Buffer.from(tag).toString('hex'));
    }, { timeout: 20_000, interval: 250 });
  }

  /** Marks once more (everything sent before is in the file), then stops tshark. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.tshark.exitCode === null) await this.mark();
    } finally {
      if (this.tshark.exitCode === null && this.tshark.signalCode === null) {
        const exited = once(this.tshark, 'exit');
        this.tshark.kill('SIGINT');
        await exited;
      }
      this.sentinel.close();
    }
  }

  /** Deletes the capture file and its folder. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `tshark -r` with extra arguments (decode-as rules, display filter, output format); stdout. */
  read(args: string[]): string {
    const out = spawnSync('tshark', ['-r', this.pcap, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    expect(out.status, out.stderr).toBe(0);
    return out.stdout;
  }

  /** Rows of `-T fields` for the frames `filter` selects (a field's occurrences joined by ','). */
  fields(filter: string, names: string[], decodeAs: string[] = []): string[][] {
    const out = this.read([...decodeAs.flatMap((d) => ['-d', d]), '-Y', filter, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', ...names.flatMap((f) => ['-e', f])]);
    return out.trimEnd().split('\n').filter(Boolean).map((l) => l.split('|'));
  }

  /** Every expert info in the frames `filter` selects. */
  experts(filter: string, decodeAs: string[] = []): ExpertInfo[] {
    const rows = this.fields(filter, ['frame.number', 'frame.protocols', '_ws.expert.severity', '_ws.expert.group', '_ws.expert.message'], decodeAs);
    return rows.flatMap(([frame = '', protocols = '', s = '', g = '', m = '']) => (s
      ? s.split(',').map((x, i) => ({ frame: Number(frame), protocols, severity: Number(x), group: Number(g.split(',')[i]), message: m.split(',')[i] ?? '' }))
      : []));
  }

  /**
   * PDML of the frames `filter` selects, one entry per frame: every field's name with its
   * `showname` (the dissector's own words, e.g. h245.request → "request: terminalCapabilitySet (2)").
   */
  pdml(filter: string, decodeAs: string[] = []): { name: string; showname: string; show: string }[][] {
    const out = this.read([...decodeAs.flatMap((d) => ['-d', d]), '-Y', filter, '-T', 'pdml']);
    const attr = (tag: string, name: string) => new RegExp(`(?:^| )${name}="([^"]*)"`).exec(tag)?.[1] ?? '';
    return out.split('<packet>').slice(1).map((packet) => [...packet.matchAll(/<field ([^>]*)>/g)]
      .map((m) => ({ name: attr(m[1]!, 'name'), showname: attr(m[1]!, 'showname'), show: attr(m[1]!, 'show') })));
  }
}

/** Expert infos other than TCP sequence analysis (SYN/FIN notes, retransmissions), which say nothing of H.323. */
export function protocolExperts(experts: ExpertInfo[]): ExpertInfo[] {
  return experts.filter((x) => x.group !== PI_SEQUENCE);
}

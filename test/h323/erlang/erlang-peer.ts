// Erlang's asn1 application as an independent aligned-PER peer: erlc compiles the same three
// ITU modules (`-bper +maps`, H.235, H.245, H.225.0 in that order) into a cache directory keyed
// by the hash of the module texts and of the front end, then one long-lived `erl` answers
// encode/decode requests line by line (roomgate_asn1_peer.erl).
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MODULE_FILES, MODULES_DIR } from '../../../h323/asn1/converter/generate.ts';

const PEER_SOURCE = new URL('./roomgate_asn1_peer.erl', import.meta.url);

/** Compiles (once per content hash) and returns the directory holding the .beam files. */
export function compileErlangCodec(): string {
  const hash = createHash('sha256');
  for (const f of MODULE_FILES) hash.update(readFileSync(MODULES_DIR + f));
  hash.update(readFileSync(PEER_SOURCE));
  const dir = join(tmpdir(), `roomgate-asn1-erlang-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, 'ready'))) return dir;
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const f of MODULE_FILES) {
    copyFileSync(MODULES_DIR + f, join(work, f));
    execFileSync('erlc', ['-bper', '+maps', f], { cwd: work, stdio: 'pipe' });
  }
  copyFileSync(PEER_SOURCE, join(work, 'roomgate_asn1_peer.erl'));
  execFileSync('erlc', ['roomgate_asn1_peer.erl'], { cwd: work, stdio: 'pipe' });
  writeFileSync(join(work, 'ready'), '');
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another run finished first: use its directory
  }
  return dir;
}

export class ErlangAsn1Peer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  private exited = false;

  private constructor(dir: string) {
    this.proc = spawn('erl', ['-noshell', '-pa', dir, '-s', 'roomgate_asn1_peer', 'main'], { stdio: 'pipe' });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.proc.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w(`ERR erl exited: ${this.stderr}`);
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.waiting.shift()?.(line));
  }

  static start(): ErlangAsn1Peer {
    return new ErlangAsn1Peer(compileErlangCodec());
  }

  private request(line: string): Promise<string> {
    if (this.exited) return Promise.reject(new Error(`erl exited: ${this.stderr}`));
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => (reply.startsWith('OK ') ? resolve(reply.slice(3)) : reject(new Error(`Erlang: ${reply}`))));
      this.proc.stdin.write(`${line}\n`);
    });
  }

  /** `typeKey` is `MODULE.Type`; `termText` an Erlang term (see value-mapping.ts). */
  async encode(typeKey: string, termText: string): Promise<Uint8Array> {
    const [mod, type] = splitKey(typeKey);
    const hex = await this.request(`E ${mod} ${type} ${termText}`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }

  /** Returns the decoded value printed with `~w`. */
  decode(typeKey: string, bytes: Uint8Array): Promise<string> {
    const [mod, type] = splitKey(typeKey);
    return this.request(`D ${mod} ${type} ${Buffer.from(bytes).toString('hex').toUpperCase()}`);
  }

  /** Erlang's own timing of `n` decodes and `n` encodes of `bytes` (µs each total), for bench/. */
  async time(typeKey: string, bytes: Uint8Array, n: number): Promise<{ decodeUs: number; encodeUs: number }> {
    const [mod, type] = splitKey(typeKey);
    const [d, e] = (await this.request(`B ${mod} ${type} ${Buffer.from(bytes).toString('hex').toUpperCase()} ${n}`)).split(' ');
    return { decodeUs: Number(d), encodeUs: Number(e) };
  }

  close(): void {
    this.proc.stdin.end();
  }
}

function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

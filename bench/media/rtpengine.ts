/**
 * Debian's rtpengine as the peer of the transcoding bench: started in the foreground in
 * userspace-only mode (--table=-1: no kernel forwarding module, so every packet goes through
 * its userspace threads, as transcoding must anyway), media and control on 127.0.0.1 only,
 * logging errors to stderr. Calls are set up through the ng control protocol (bencode over
 * UDP): offer from leg A with PCMU and `codec: { transcode: [opus] }`, answer from leg B with
 * Opus only, so rtpengine transcodes PCMU ⇄ Opus for the call.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { bdecode, bencode, type BValue } from './bencode.ts';

const STOP_GRACE_MS = 2000;
const NG_TIMEOUT_MS = 5000;

export function rtpengineInstalled(): boolean {
  return spawnSync('rtpengine', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** "opus: fully supported" in `rtpengine --codecs`. */
export function rtpengineTranscodesOpus(): boolean {
  const out = spawnSync('rtpengine', ['--codecs'], { encoding: 'utf8' }).stdout ?? '';
  return /^\s*opus: fully supported/m.test(out);
}

export interface RtpengineOptions {
  ngPort: number;
  portMin: number;
  portMax: number;
  /** rtpengine --num-threads; default: its own (one per core). */
  threads?: number;
}

export class Rtpengine {
  private readonly ng: dgram.Socket;
  private readonly pending = new Map<string, (v: { [k: string]: BValue }) => void>();
  private stderr = '';
  private exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly opts: RtpengineOptions, ng: dgram.Socket) {
    this.ng = ng;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    child.stderr!.on('data', (d: Buffer) => { if (this.stderr.length < 50_000) this.stderr += d.toString(); });
    ng.on('message', (msg) => {
      const sp = msg.indexOf(0x20);
      if (sp < 0) return;
      const cookie = msg.toString('latin1', 0, sp);
      const resolve = this.pending.get(cookie);
      if (!resolve) return;
      this.pending.delete(cookie);
      resolve(bdecode(msg.subarray(sp + 1)) as { [k: string]: BValue });
    });
  }

  static async start(opts: RtpengineOptions): Promise<Rtpengine> {
    const args = ['--config-file=none', '--foreground', '--log-stderr', '--log-level=3', '--table=-1',
      '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${opts.ngPort}`,
      `--port-min=${opts.portMin}`, `--port-max=${opts.portMax}`, '--timeout=60', '--delete-delay=0'];
    if (opts.threads) args.push(`--num-threads=${opts.threads}`);
    const child = spawn('rtpengine', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.on('error', () => undefined);
    const ng = dgram.createSocket('udp4');
    await new Promise<void>((r) => ng.bind(0, '127.0.0.1', () => r()));
    const eng = new Rtpengine(child, opts, ng);
    for (let i = 0; i < 100; i++) { // wait until the ng port answers
      try {
        await eng.command({ command: 'ping' }, 200);
        return eng;
      } catch { /* not up yet */ }
      if (child.exitCode !== null) break;
    }
    await eng.stop();
    throw new Error(`rtpengine did not start: ${eng.stderr.slice(-1500)}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  log(): string {
    return this.stderr;
  }

  command(dict: { [k: string]: BValue }, timeoutMs = NG_TIMEOUT_MS): Promise<{ [k: string]: BValue }> {
    const cookie = randomBytes(8).toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(cookie); reject(new Error(`ng ${String(dict.command)} timed out`)); }, timeoutMs);
      this.pending.set(cookie, (v) => { clearTimeout(timer); resolve(v); });
      this.ng.send(Buffer.concat([Buffer.from(`${cookie} `), bencode(dict)]), this.opts.ngPort, '127.0.0.1');
    });
  }

  /**
   * One transcoded call: A (PCMU at 127.0.0.1:aPort) ⇄ rtpengine ⇄ B (Opus at 127.0.0.1:bPort).
   * Returns where A must send (rtpengine's A-side port) and where B must send.
   */
  async transcodedCall(callId: string, aPort: number, bPort: number): Promise<{ aTarget: number; bTarget: number; opusPt: number }> {
    // Opus at 32 kbit/s, the bridge's own bitrate (rtpengine's codec syntax: name/clock/channels/bitrate).
    const offer = await this.command({
      command: 'offer', 'call-id': callId, 'from-tag': 'a', sdp: sdp(aPort, 0, 'PCMU/8000'),
      codec: { transcode: ['opus/48000/2/32000'] }, replace: ['origin', 'session-connection'], ICE: 'remove',
    });
    if (offer.result !== 'ok') throw new Error(`rtpengine offer: ${String(offer['error-reason'] ?? offer.result)}`);
    const offered = String(offer.sdp);
    const pt = /^a=rtpmap:(\d+) opus\/48000/im.exec(offered);
    if (!pt) throw new Error(`rtpengine offered no opus:\n${offered}`);
    const opusPt = Number(pt[1]);
    // B answers with Opus only, mono like the bridge (RFC 7587 7: stereo=0 is a receiver preference).
    const answer = await this.command({
      command: 'answer', 'call-id': callId, 'from-tag': 'a', 'to-tag': 'b',
      sdp: sdp(bPort, opusPt, 'opus/48000/2', 'stereo=0;sprop-stereo=0;useinbandfec=1'),
      replace: ['origin', 'session-connection'], ICE: 'remove',
    });
    if (answer.result !== 'ok') throw new Error(`rtpengine answer: ${String(answer['error-reason'] ?? answer.result)}`);
    return { aTarget: mediaPort(String(answer.sdp)), bTarget: mediaPort(offered), opusPt };
  }

  async deleteCall(callId: string): Promise<void> {
    await this.command({ command: 'delete', 'call-id': callId, 'from-tag': 'a' }).catch(() => undefined);
  }

  /** SIGTERM, SIGKILL after a grace period. Idempotent. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(t);
    }
    try { this.ng.close(); } catch { /* closed */ }
  }
}

function sdp(port: number, pt: number, rtpmap: string, fmtp?: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${port} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${rtpmap}`, ...(fmtp ? [`a=fmtp:${pt} ${fmtp}`] : []),
    'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

function mediaPort(text: string): number {
  const m = /^m=audio (\d+) /m.exec(text);
  if (!m) throw new Error(`no m=audio in rtpengine's SDP:\n${text}`);
  return Number(m[1]);
}

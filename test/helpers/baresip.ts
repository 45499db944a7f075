// baresip as a hardware room terminal for interop tests: a fresh config per instance, control
// over ctrl_tcp, a sine tone as microphone, the decoded received audio recorded to WAV, and
// H.264 test video with a decoded-frames counter.
//
// Facts verified on this machine, baresip 1.0.0 (Debian baresip-core / baresip-ffmpeg 1.0.0-4+b3):
// - sip_listen IP:P binds UDP P, TCP P *and TLS on TCP P+1* (even without a certificate);
//   there is no sip_transports option, so P+1 must be free too, or startup fails
//   ("SIP/TLS transport failed: Address already in use").
// - Codec lists are account parameters, not config keys: `;audio_codecs=PCMU/8000/1,...`
//   and `;video_codecs=H264` on the accounts line (names in full; the config-file keys
//   `audio_codecs`/`video_codecs` are silently ignored in this version).
// - g722.so registers G722 with srate 16000 (RTP clock 8000): `audio_codecs=G722/16000/1`;
//   sndfile's -dec.wav of a G.722 call is 16000 Hz.
// - ausine: `audio_source ausine,<hz>` (the device string is the frequency, 10..20000 Hz);
//   it refuses anything but ausrc_srate 48000 and ausrc_channels 2.
// - sndfile is an audio *filter*: option `snd_path DIR`; per call it writes
//   DIR/dump-<YYYY-MM-DD-hh-mm-ss>-enc.wav (what we send, before encoding) and
//   ...-dec.wav (what we received, after decoding, at the codec's rate: 8000 Hz mono for
//   G.711). Two calls in the same second of one instance would share a name.
// - audio_player alsa,null plays into ALSA's null device (works headless, no sound card).
// - ctrl_tcp: `ctrl_tcp_listen IP:PORT`; netstrings `LEN:{json},`. Send
//   {"command":"dial","params":"sip:..","token":"t1"}; replies {"response":true,"ok":..,
//   "data":"..","token":"t1"}; events {"event":true,"type":"CALL_RINGING","class":"call",
//   "accountaor","direction","peeruri","id","param"}. Seen: CALL_INCOMING, CALL_RINGING,
//   CALL_LOCAL_SDP/CALL_REMOTE_SDP (param offer/answer), CALL_ESTABLISHED, CALL_RTPESTAB
//   (param audio|video: first RTP received), CALL_RTCP (param audio|video, rtcp_stats),
//   CALL_CLOSED (param = reason, e.g. "Connection reset by user" or a SIP status line),
//   SHUTDOWN, EXIT. Any menu command works by its long name (dial, accept, hangup, quit,
//   callstat, video_debug, audio_debug, snapshot_recv <png>, ...).
// - video: fakevideo is both a source (`video_source fakevideo,nil`, video_size/fps apply; its
//   picture is three vertical bars red | green | blue) and a
//   display (`video_display fakevideo,nil`) that counts frames. The `video_debug` command
//   prints "vidisp: fakevideo 352 x 288 frames=N" = decoded frames displayed, plus
//   "source: ... frames=N", "n_keyframes=, n_picup=". H.264 via avcodec (libx264 encoder),
//   packetization-mode=0 offered, rtcp-fb "* nack pli".
// - snapshot module: command `snapshot_recv /path.png` saves the next received decoded frame
//   and logs "png: wrote /path.png" (sometimes before the file is flushed: wait for IEND).
// - SIP INFO: baresip answers an in-dialog INFO with Content-Type application/media_control+xml
//   containing "picture_fast_update" with 200 OK and requests a keyframe from its encoder; the
//   log line "call: receive media control: fast_update=1" appears only with -v (`verbose`).
//   Proven by test/fixtures/sipp/uac-info-fast-update.xml. This version has no code to *send*
//   media_control INFO (no such XML in the binary): it asks for pictures with RTCP PLI/FIR
//   only (offers rtcp-fb "* nack pli"). `sipTrace: true` (-s) prints every SIP message.
// - DTMF: the menu command `sndcode <keys>` sends each key as RFC 4733 events, then a key
//   release (the end packets). There is no INFO sending mode in 1.0 (no dtmfmode parameter).
//   With opus it offers opus/48000 plus telephone-event/8000. Received RFC 4733 keys raise
//   ctrl_tcp events CALL_DTMF_START (param = the key) and CALL_DTMF_END; a received INFO
//   application/dtmf-relay is answered 200 and logged "call: received DTMF: '7' (duration=200)".
// - The 200 OK to an INVITE carries the reason phrase "Answering"; Allow lists INVITE, ACK, BYE,
//   CANCEL, OPTIONS, NOTIFY, SUBSCRIBE, INFO, MESSAGE, REFER.
// - menu prints a status line every ~100 ms during calls unless `statmode_default off`.
// - answermode=auto on the account answers incoming calls at once; if the audio source fails
//   to start, the 200 OK is never sent.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, QUOTED_LINES, freeSipPort, freeTcpPort } from './processes.ts';
import { readWav, toMono } from './wav.ts';

export interface BaresipOptions {
  /** Frequency of the sine tone sent as microphone, Hz (10..20000). Default 440. */
  tone?: number;
  /** Audio codecs in preference order, names in full. Default opus/48000/2, PCMU/8000/1, PCMA/8000/1. */
  codecs?: string[];
  /** Send and receive video (fakevideo source and frame-counting display). Default false. */
  video?: boolean;
  /** Video codecs in preference order. Default ['H264']. */
  videoCodecs?: string[];
  /** Copy the decoded received audio to this WAV path when the instance stops. Optional. */
  recordTo?: string;
  /** User part of the account. Default 'room'. */
  user?: string;
  /** Answer incoming calls automatically ('auto') or wait for `accept()` ('manual'). Default 'auto'. */
  answerMode?: 'auto' | 'manual';
  /** Start baresip with -s: every SIP message appears in the output. Default false. */
  sipTrace?: boolean;
  /** Start baresip with -v: debug-level log lines (e.g. "receive media control"). Default false. */
  verbose?: boolean;
  /** Extra config lines, key → value, appended last. */
  extraConfig?: Record<string, string>;
  /** Extra account parameters, appended to the accounts line (`;key=value`). */
  extraAccountParams?: Record<string, string>;
  /** Default deadline of every wait, ms. Default 10000. */
  timeoutMs?: number;
}

/** One ctrl_tcp event, as baresip sent it. */
export interface BaresipEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: 'incoming' | 'outgoing';
  peeruri?: string;
  /** Call id (baresip's, not the SIP Call-ID). */
  id?: string;
  param?: string;
  [key: string]: unknown;
}

export interface BaresipEvents {
  /** Every ctrl_tcp event, in arrival order. */
  event: [event: BaresipEvent];
  /** Every output line of the process. */
  line: [line: string];
  exit: [];
}

export interface VideoStats {
  /** Frames decoded and handed to the display. */
  decodedFrames: number;
  /** Frames taken from the video source for sending. */
  sentFrames: number;
  /** Decoded picture size, e.g. "352 x 288", or undefined before the first frame. */
  receivedSize: string | undefined;
  /** `n_keyframes` of video_debug's rx section: keyframes seen by the decoder. */
  keyframes: number;
  /** `n_picup` of video_debug's rx section (picture-update count; exact meaning unverified). */
  pictureUpdates: number;
}

export interface Recording {
  samples: Int16Array;
  sampleRate: number;
  path: string;
}

export class BaresipError extends Error {
  override name = 'BaresipError';
}

const ALL_AUDIO_CODECS = ['opus/48000/2', 'PCMU/8000/1', 'PCMA/8000/1'];
/** Events that end a wait for a call to progress: the call is gone. */
const CALL_END_EVENTS = new Set(['CALL_CLOSED']);
const CALL_PROGRESS_EVENTS = new Set(['CALL_RINGING', 'CALL_PROGRESS', 'CALL_ANSWERED', 'CALL_ESTABLISHED', 'CALL_RTPESTAB']);
const START_ATTEMPTS = 3;
const QUIT_GRACE_MS = 3000;

/** Starts one baresip instance on 127.0.0.1 with its own temporary config directory. */
export async function startBaresip(options: BaresipOptions = {}): Promise<Baresip> {
  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const instance = new Baresip(options, await freeSipPort(1), await freeTcpPort());
    try {
      await instance.start();
      return instance;
    } catch (err) {
      lastError = err;
      await instance.stop();
      // Another process took a port between our probe and baresip's bind: try new ports.
      if (!/Address already in use/.test(String(err))) throw err;
    }
  }
  throw lastError;
}

export class Baresip {
  /** URI to dial this terminal at. */
  readonly sipUri: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  /** Temporary config directory (removed by stop()). */
  readonly dir: string;
  readonly events = new EventEmitter<BaresipEvents>();
  /** Every event received so far, oldest first. */
  readonly history: BaresipEvent[] = [];

  private readonly options: Required<Pick<BaresipOptions, 'tone' | 'codecs' | 'video' | 'videoCodecs' | 'user' | 'answerMode' | 'timeoutMs'>> & BaresipOptions;
  private readonly recordDir: string;
  private process: ManagedProcess | undefined;
  private socket: Socket | undefined;
  private rx = Buffer.alloc(0);
  private nextToken = 1;
  private readonly pending = new Map<string, { resolve: (data: string) => void; reject: (err: Error) => void; command: string }>();
  /** waitFor() looks at events from this history index on (moved by dial/accept/hangup). */
  private mark = 0;
  /** History index at the last dial(), -1 before any. */
  private lastDial = -1;
  /** Per event type: history index after the last event a waitFor() returned. */
  private readonly consumed = new Map<string, number>();
  /** Per event type: call ids whose event of that type a waitFor() returned. */
  private readonly seenCalls = new Map<string, Set<string>>();
  private stopping: Promise<void> | undefined;

  constructor(options: BaresipOptions, sipPort: number, ctrlPort: number) {
    this.options = {
      tone: 440,
      codecs: ALL_AUDIO_CODECS,
      video: false,
      videoCodecs: ['H264'],
      user: 'room',
      answerMode: 'auto',
      timeoutMs: 10_000,
      ...options,
    };
    this.sipPort = sipPort;
    this.ctrlPort = ctrlPort;
    this.sipUri = `sip:${this.options.user}@127.0.0.1:${sipPort}`;
    this.dir = mkdtempSync(join(tmpdir(), 'baresip-'));
    this.recordDir = join(this.dir, 'recordings');
  }

  /** Writes the config, spawns baresip and connects to ctrl_tcp. Use startBaresip() instead. */
  async start(): Promise<void> {
    mkdirSync(this.recordDir);
    writeFileSync(join(this.dir, 'config'), this.configText());
    writeFileSync(join(this.dir, 'accounts'), this.accountLine() + '\n');
    writeFileSync(join(this.dir, 'contacts'), '');
    const args = ['-f', this.dir, ...(this.options.sipTrace ? ['-s'] : []), ...(this.options.verbose ? ['-v'] : [])];
    const proc = new ManagedProcess('baresip', args, { name: `baresip ${this.options.user}:${this.sipPort}` });
    this.process = proc;
    proc.on('line', (line) => this.events.emit('line', line));
    proc.on('exit', () => this.onExit());
    await proc.waitForLine(/baresip is ready\./, this.options.timeoutMs, 0);
    await this.connectCtrl();
  }

  /** Sends a long command (as typed after '/' in baresip's menu); resolves with its text output. */
  command(command: string, params = ''): Promise<string> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new BaresipError(`${command}: not connected to baresip\n${this.tail()}`));
    const token = `t${this.nextToken++}`;
    const body = Buffer.from(JSON.stringify({ command, params, token }));
    const reply = new Promise<string>((resolve, reject) => this.pending.set(token, { resolve, reject, command }));
    socket.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
    return this.deadline(reply, `reply to command '${command} ${params}'`);
  }

  /** Places a call. Wait for its progress with waitFor('CALL_ESTABLISHED'). */
  async dial(uri: string): Promise<void> {
    this.mark = this.history.length;
    this.lastDial = this.history.length;
    await this.command('dial', uri);
  }

  /** Answers the ringing incoming call (answerMode 'manual'). */
  async accept(): Promise<void> {
    this.mark = this.history.length;
    await this.command('accept');
  }

  /**
   * Hangs up the current call and waits until baresip reports it closed. When no call is
   * open (the peer already hung up), sends nothing and returns the last CALL_CLOSED, if any.
   */
  async hangup(): Promise<BaresipEvent | undefined> {
    if (!this.callMayBeOpen()) return [...this.history].reverse().find((e) => e.type === 'CALL_CLOSED');
    this.mark = this.history.length;
    await this.command('hangup');
    return this.waitFor('CALL_CLOSED');
  }

  /** Ids of calls that have events but no CALL_CLOSED yet. */
  openCalls(): Set<string> {
    const open = new Set<string>();
    for (const e of this.history) {
      if (e.id === undefined || !e.type.startsWith('CALL_')) continue;
      if (e.type === 'CALL_CLOSED') open.delete(e.id);
      else open.add(e.id);
    }
    return open;
  }

  /** An open call, or a dial not yet followed by any close (its first events carry no id). */
  private callMayBeOpen(): boolean {
    if (this.openCalls().size > 0) return true;
    if (this.lastDial < 0) return false;
    return !this.history.slice(this.lastDial).some((e) => e.type === 'CALL_CLOSED');
  }

  /**
   * Resolves with the next event of `type` not yet returned by an earlier waitFor, at or after
   * the last dial/accept/hangup (waits consume events in order). While waiting for call
   * progress, a CALL_CLOSED rejects at once with baresip's reason, unless it closes a call whose
   * `type` event an earlier wait returned; process exit and the deadline reject too.
   */
  waitFor(type: string, opts: { timeoutMs?: number; match?: (e: BaresipEvent) => boolean } = {}): Promise<BaresipEvent> {
    const failOn = CALL_PROGRESS_EVENTS.has(type) ? CALL_END_EVENTS : new Set<string>();
    const from = Math.max(this.mark, this.consumed.get(type) ?? 0);
    // The close of a call that an earlier waitFor already saw reach `type` is history: it
    // must not fail the wait for the next call.
    const seen = this.seenCalls.get(type);
    const fails = (e: BaresipEvent): boolean => failOn.has(e.type) && !(e.id !== undefined && seen?.has(e.id));
    const matches = (e: BaresipEvent): boolean => e.type === type && (!opts.match || opts.match(e));
    const take = (index: number): BaresipEvent => {
      const e = this.history[index]!;
      this.consumed.set(type, index + 1);
      if (e.id !== undefined) this.seenCalls.set(type, (this.seenCalls.get(type) ?? new Set()).add(e.id));
      return e;
    };
    for (let i = from; i < this.history.length; i++) {
      const e = this.history[i]!;
      if (matches(e)) return Promise.resolve(take(i));
      if (fails(e)) return Promise.reject(this.callEnded(type, e));
    }
    if (!this.process?.running) return Promise.reject(new BaresipError(`baresip is not running; waited for ${type}\n${this.tail()}`));

    let cleanup = (): void => {};
    const found = new Promise<BaresipEvent>((resolve, reject) => {
      const onEvent = (e: BaresipEvent): void => {
        if (matches(e)) resolve(take(this.history.length - 1));
        else if (fails(e)) reject(this.callEnded(type, e));
      };
      const onExit = (): void => reject(new BaresipError(`baresip exited while waiting for ${type}\n${this.tail()}`));
      this.events.on('event', onEvent);
      this.events.on('exit', onExit);
      cleanup = () => {
        this.events.off('event', onEvent);
        this.events.off('exit', onExit);
      };
    });
    return this.deadline(found, `event ${type}`, opts.timeoutMs).finally(() => cleanup());
  }

  /** From now on, waits ignore every event received so far. */
  forgetEvents(): void {
    this.mark = this.history.length;
  }

  /**
   * Polls the growing recording of the current call until it holds `seconds` of received
   * audio (sndfile writes as it decodes; there is no event for it). Rejects at the deadline.
   */
  async waitForReceivedAudio(seconds: number, timeoutMs = this.options.timeoutMs): Promise<Recording> {
    const end = Date.now() + timeoutMs;
    let have = 0;
    for (;;) {
      if (this.hasDump('dec')) {
        const rec = this.recording();
        have = rec.samples.length / rec.sampleRate;
        if (have >= seconds) return rec;
      }
      if (Date.now() > end) throw new BaresipError(`only ${have.toFixed(2)} s of ${seconds} s audio received within ${timeoutMs} ms\n${this.tail()}`);
      if (!this.process?.running) throw new BaresipError(`baresip exited while waiting for received audio\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100)); // poll interval, not a synchronisation
    }
  }

  /** Resolves with the first output line matching `pattern` from now on (or from `fromLine`). */
  waitForOutput(pattern: RegExp, timeoutMs = this.options.timeoutMs, fromLine?: number): Promise<string> {
    if (!this.process) return Promise.reject(new BaresipError('baresip was not started'));
    return this.process.waitForLine(pattern, timeoutMs, fromLine);
  }

  /** Index of the next output line, for waitForOutput(pattern, ms, fromLine). */
  get outputLineCount(): number {
    return this.process?.lineCount ?? 0;
  }

  /** Video counters of the current call, parsed from `video_debug`. */
  async videoStats(): Promise<VideoStats> {
    const text = await this.command('video_debug');
    const display = /vidisp: \S+ (\d+ x \d+) frames=(\d+)/.exec(text);
    const source = /source: .*frames=(\d+)/.exec(text);
    const counters = /n_keyframes=(\d+), n_picup=(\d+)/.exec(text);
    return {
      decodedFrames: display ? Number(display[2]) : 0,
      receivedSize: display?.[1],
      sentFrames: source ? Number(source[1]) : 0,
      keyframes: counters ? Number(counters[1]) : 0,
      pictureUpdates: counters ? Number(counters[2]) : 0,
    };
  }

  /**
   * Polls video_debug until at least `count` frames were decoded (baresip emits no event per
   * frame). Rejects at the deadline with the last counters seen.
   */
  async waitForDecodedFrames(count: number, timeoutMs = this.options.timeoutMs): Promise<VideoStats> {
    const end = Date.now() + timeoutMs;
    let stats = await this.videoStats();
    while (stats.decodedFrames < count) {
      if (Date.now() > end) {
        throw new BaresipError(`only ${stats.decodedFrames} of ${count} video frames decoded within ${timeoutMs} ms\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 200)); // poll interval, not a synchronisation
      stats = await this.videoStats();
    }
    return stats;
  }

  /** Saves the next received, decoded video frame as PNG and resolves once it is complete. */
  async snapshotReceived(pngPath: string, timeoutMs = this.options.timeoutMs): Promise<void> {
    const end = Date.now() + timeoutMs;
    const from = this.outputLineCount;
    await this.command('snapshot_recv', pngPath);
    await this.waitForOutput(new RegExp(`png: wrote ${escapeRegExp(pngPath)}`), timeoutMs, from);
    // baresip logs "png: wrote" before it closes the file: wait for the final IEND chunk.
    while (!endsWithIend(pngPath)) {
      if (Date.now() > end) throw new BaresipError(`snapshot ${pngPath} incomplete after ${timeoutMs} ms\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 20)); // poll interval, not a synchronisation
    }
  }

  /**
   * The decoded received audio of the latest call (mono; channels averaged), from sndfile's
   * dump. Complete once the call has closed; during a call it holds what was flushed so far.
   */
  recording(): Recording {
    const path = this.latestDump('dec');
    const wav = readWav(path);
    return { samples: toMono(wav), sampleRate: wav.sampleRate, path };
  }

  /** What this terminal sent in the latest call (before encoding), mono. */
  sentAudio(): Recording {
    const path = this.latestDump('enc');
    const wav = readWav(path);
    return { samples: toMono(wav), sampleRate: wav.sampleRate, path };
  }

  /** The last output lines, for error messages. */
  tail(count = QUOTED_LINES): string {
    return this.process ? `--- last ${count} lines of ${this.process.name} ---\n${this.process.tail(count)}` : '';
  }

  /**
   * Quits baresip (command 'quit', then SIGTERM/SIGKILL after a grace period), copies the
   * recording to `recordTo` if asked, and removes the temporary directory. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const proc = this.process;
    if (proc?.running) {
      this.command('quit').catch(() => {}); // the reply may race with the socket closing
      const timer = setTimeout(() => void proc.kill(), QUIT_GRACE_MS);
      await proc.exited;
      clearTimeout(timer);
    }
    this.socket?.destroy();
    try {
      if (this.options.recordTo && this.hasDump('dec')) copyFileSync(this.latestDump('dec'), this.options.recordTo);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private configText(): string {
    const o = this.options;
    const lines: Array<[string, string]> = [
      ['poll_method', 'epoll'],
      ['sip_listen', `127.0.0.1:${this.sipPort}`],
      ['net_interface', '127.0.0.1'],
      ['call_local_timeout', '120'],
      ['audio_source', `ausine,${o.tone}`],
      ['audio_player', 'alsa,null'],
      ['audio_alert', 'alsa,null'],
      ['ausrc_srate', '48000'],
      ['ausrc_channels', '2'],
      ['auplay_srate', '48000'],
      ['auplay_channels', '1'],
      ['audio_buffer', '40'],
      ['jitter_buffer_delay', '5-10'],
      ['rtcp_mux', 'no'],
      ['snd_path', this.recordDir],
      ['ctrl_tcp_listen', `127.0.0.1:${this.ctrlPort}`],
      ['statmode_default', 'off'],
      ['ringback_disabled', 'yes'],
      ['module_path', '/usr/lib/baresip/modules'],
      ['module', 'g711.so'],
      ['module', 'g722.so'],
      ['module', 'opus.so'],
      ['module', 'ausine.so'],
      ['module', 'alsa.so'],
      ['module', 'sndfile.so'],
      ['module_tmp', 'account.so'],
      ['module_app', 'menu.so'],
      ['module_app', 'ctrl_tcp.so'],
    ];
    if (o.video) {
      lines.push(
        ['module', 'avcodec.so'],
        ['module', 'fakevideo.so'],
        ['module', 'snapshot.so'],
        ['video_source', 'fakevideo,nil'],
        ['video_display', 'fakevideo,nil'],
        ['video_size', '352x288'],
        ['video_fps', '25'],
        ['video_bitrate', '500000'],
      );
    }
    for (const [k, v] of Object.entries(o.extraConfig ?? {})) lines.push([k, v]);
    return lines.map(([k, v]) => `${k}\t${v}`).join('\n') + '\n';
  }

  private accountLine(): string {
    const o = this.options;
    const params: Record<string, string> = {
      regint: '0',
      answermode: o.answerMode,
      audio_codecs: o.codecs.join(','),
      ...(o.video ? { video_codecs: o.videoCodecs.join(',') } : {}),
      ...o.extraAccountParams,
    };
    return `<sip:${o.user}@127.0.0.1:${this.sipPort}>` + Object.entries(params).map(([k, v]) => `;${k}=${v}`).join('');
  }

  private async connectCtrl(): Promise<void> {
    const socket = await this.deadline(
      new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: this.ctrlPort });
        s.once('connect', () => resolve(s));
        s.once('error', (err) => reject(new BaresipError(`ctrl_tcp connection to 127.0.0.1:${this.ctrlPort} failed: ${err.message}\n${this.tail()}`)));
      }),
      `ctrl_tcp connection to 127.0.0.1:${this.ctrlPort}`,
    );
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => {}); // close follows; pending commands are rejected there
    socket.on('close', () => this.rejectPending('ctrl_tcp connection closed'));
    this.socket = socket;
  }

  /** Splits the byte stream into netstrings `LEN:payload,`. */
  private onData(chunk: Buffer): void {
    this.rx = Buffer.concat([this.rx, chunk]);
    for (;;) {
      const colon = this.rx.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.rx.subarray(0, colon).toString('ascii'));
      if (!Number.isInteger(len) || len < 0) throw new BaresipError(`bad netstring from ctrl_tcp: ${this.rx.subarray(0, 40).toString()}`);
      const end = colon + 1 + len;
      if (this.rx.length < end + 1) return;
      const payload = this.rx.subarray(colon + 1, end).toString('utf8');
      this.rx = this.rx.subarray(end + 1); // skip the trailing ','
      this.onMessage(JSON.parse(payload) as Record<string, unknown>);
    }
  }

  private onMessage(msg: Record<string, unknown>): void {
    if (msg.response === true) {
      const token = String(msg.token);
      const waiter = this.pending.get(token);
      if (!waiter) return;
      this.pending.delete(token);
      const data = typeof msg.data === 'string' ? msg.data : '';
      if (msg.ok === true) waiter.resolve(data);
      else waiter.reject(new BaresipError(`command '${waiter.command}' failed: ${data}\n${this.tail()}`));
    } else if (msg.event === true) {
      const event = msg as BaresipEvent;
      this.history.push(event);
      this.events.emit('event', event);
    }
  }

  private onExit(): void {
    this.rejectPending('baresip exited');
    this.events.emit('exit');
  }

  private rejectPending(why: string): void {
    for (const [token, w] of this.pending) {
      this.pending.delete(token);
      w.reject(new BaresipError(`command '${w.command}': ${why}\n${this.tail()}`));
    }
  }

  private callEnded(waitingFor: string, closed: BaresipEvent): BaresipError {
    return new BaresipError(`call closed (${closed.param ?? 'no reason'}) while waiting for ${waitingFor}\n${this.tail()}`);
  }

  private deadline<T>(promise: Promise<T>, what: string, ms = this.options.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BaresipError(`no ${what} within ${ms} ms\n${this.tail()}`)), ms);
    });
    return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
  }

  private dumps(kind: 'dec' | 'enc'): string[] {
    // Names carry a timestamp to the second, so lexical order is chronological.
    return readdirSync(this.recordDir)
      .filter((f) => f.startsWith('dump-') && f.endsWith(`-${kind}.wav`))
      .sort();
  }

  private hasDump(kind: 'dec' | 'enc'): boolean {
    try {
      return this.dumps(kind).length > 0;
    } catch {
      return false;
    }
  }

  private latestDump(kind: 'dec' | 'enc'): string {
    const files = this.dumps(kind);
    if (files.length === 0) throw new BaresipError(`no ${kind} recording in ${this.recordDir} (was a call made?)\n${this.tail()}`);
    return join(this.recordDir, files[files.length - 1]!);
  }
}

export interface Picture {
  width: number;
  height: number;
  /** Packed RGB, 3 bytes per pixel, row by row. */
  rgb: Buffer;
}

/** Decodes a PNG (e.g. from snapshotReceived) to RGB with ffmpeg, an independent decoder. */
export function readPicture(pngPath: string): Picture {
  const png = readFileSync(pngPath);
  if (png.length < 24 || png.toString('ascii', 12, 16) !== 'IHDR') throw new BaresipError(`${pngPath} is not a PNG`);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const rgb = execFileSync('ffmpeg', ['-v', 'error', '-i', pngPath, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: width * height * 3 + 1024,
  });
  if (rgb.length !== width * height * 3) throw new BaresipError(`${pngPath}: decoded ${rgb.length} bytes, expected ${width * height * 3}`);
  return { width, height, rgb };
}

/**
 * True when the picture shows fakevideo's test pattern: three vertical bars, red, green, blue,
 * left to right (checked at the centre of each bar, after any scaling).
 */
export function showsFakevideoPattern(p: Picture): boolean {
  const expected = [0, 1, 2]; // index of the dominant channel per bar: R, G, B
  return expected.every((channel, bar) => {
    const x = Math.floor(((bar + 0.5) * p.width) / 3);
    const y = Math.floor(p.height / 2);
    const px = p.rgb.subarray((y * p.width + x) * 3, (y * p.width + x) * 3 + 3);
    return px[channel]! > 150 && [0, 1, 2].every((c) => c === channel || px[c]! < 100);
  });
}

const PNG_IEND_TRAILER = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

function endsWithIend(path: string): boolean {
  try {
    const bytes = readFileSync(path);
    return bytes.length > PNG_IEND_TRAILER.length && bytes.subarray(-PNG_IEND_TRAILER.length).equals(PNG_IEND_TRAILER);
  } catch {
    return false;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

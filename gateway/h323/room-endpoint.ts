// A minimal H.323 room endpoint with media from files (issue #5 acceptance 3: `roomgate
// h323-room`, and the tests' room): places a call with roomgate's own H.225.0 and H.245 layers
// (fastStart, tunnelled H.245, or a separate H.245 connection), sends a tone (G.711 or G.722) as RTP in 20 ms
// packets and optionally an H.264 Annex B file to the addresses the gateway's answer gave,
// records the audio it receives, sends userInputIndication and counts videoFastUpdatePicture.
// The gateway side it talks to is a separate code path (inbound-h323-call.ts); the H.323 layers
// themselves are checked against Erlang and tshark in test/h323.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { G722Decoder, G722Encoder, g711Decode, g711Encode } from '../../bridge/index.ts';
import type { Alias, IpPort, MediaCapability } from '../../h323/asn1/index.ts';
import { H323Listener, placeCall, type IncomingH323Call, type OutgoingH323Call } from '../../h323/h225/index.ts';
import { connectH245, H245Session, listenH245, type H245Channel, type H245Listener, type UserInput } from '../../h323/h245/index.ts';
import type { Logger } from '../logger.ts';
import { answerFromRoom, answerToRoom, chooseFastStart, proposeFastStart, readFastStartChannel, type FastStartChannel } from './olc.ts';

/**
 * fastStart (+ tunnelled H.245 for control), tunnel (H.245 tunnelled, no fastStart), separate (no
 * tunnel, our H.245 listener in Setup), gatewayListens (no tunnel, no address: we connect to the
 * first H.245 address the gateway gives: its CallProceeding, else its Connect).
 */
export type H323RoomMode = 'fastStart' | 'tunnel' | 'separate' | 'gatewayListens';

export interface H323RoomOptions {
  /** The gateway's call signalling address. Default 127.0.0.1. */
  gatewayAddress?: string;
  /** Our IPv4 address: media and H.245 bind to it and the OLCs announce it. Default 127.0.0.1. */
  localAddress?: string;
  gatewayPort: number;
  mode: H323RoomMode;
  calledAliases?: Alias[];
  calledNumber?: string;
  /** Our h323-ID and display name. Default 'h323-room'. */
  name?: string;
  toneHz?: number;
  /** Send this H.264 Annex B file (baseline, one slice per frame) as video at `fps`, looping; a videoFastUpdatePicture restarts it at its first IDR. */
  video?: { file: string; fps: number };
  /** Default: silent. */
  logger?: Logger;
  /** Audio codec both ways (the tone, TCS, proposals, our channel). Default PCMU. */
  codec?: 'PCMU' | 'PCMA' | 'G722';
  /** fastStart mode: the codec of the audio pair proposed (default `codec`; H.263 makes a proposal the gateway refuses). */
  fastStartAudio?: MediaCapability;
  /** H.245 modes: the capability of our audio channel toward the gateway (default `codec`'s; the tone stays in `codec`). */
  h245SendCodec?: MediaCapability;
}

/** Access units of an Annex B stream: non-VCL NALs travel with the next slice (one slice per frame). */
function accessUnits(data: Buffer): Buffer[][] {
  const starts: { at: number; len: number }[] = [];
  for (let i = 0; i + 3 <= data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0) {
      if (data[i + 2] === 1) { starts.push({ at: i, len: 3 }); i += 2; }
      else if (data[i + 2] === 0 && data[i + 3] === 1) { starts.push({ at: i, len: 4 }); i += 3; }
    }
  }
  const nals = starts.map((s, k) => data.subarray(s.at + s.len, k + 1 < starts.length ? starts[k + 1]!.at : data.length));
  const frames: Buffer[][] = [];
  let cur: Buffer[] = [];
  for (const n of nals) {
    cur.push(n);
    const type = n[0]! & 0x1f;
    if (type === 1 || type === 5) {
      frames.push(cur);
      cur = [];
    }
  }
  return frames;
}

const H264: MediaCapability = { codec: 'h264', maxBitRate: 10_000, profile: 64, level: 71 };
const VIDEO_PT = 96;
const MAX_RTP_PAYLOAD = 1200;

const AUDIO = {
  PCMU: { cap: { codec: 'g711Ulaw64k', framesPerPacket: 20 } as MediaCapability, pt: 0, rate: 8000 },
  PCMA: { cap: { codec: 'g711Alaw64k', framesPerPacket: 20 } as MediaCapability, pt: 8, rate: 8000 },
  G722: { cap: { codec: 'g722-64k', framesPerPacket: 20 } as MediaCapability, pt: 9, rate: 16000 }, // RTP clock 8000 (RFC 3551 4.5.2)
} as const;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function bindUdp(address: string): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  return { socket, port: socket.address().port };
}

export class H323Room {
  /** Our call: placed (dial) or answered (H323RoomListener); an answered one is an IncomingH323Call. */
  readonly call: OutgoingH323Call;
  session?: H245Session;
  /** Decoded audio received, at `sampleRate`. */
  private samples: Int16Array = new Int16Array(16000 * 30);
  private readonly g722 = { enc: new G722Encoder(), dec: new G722Decoder() };
  private received = 0;
  private sendTimer?: NodeJS.Timeout;
  private target?: IpPort;
  private h245Listener?: H245Listener;
  /** videoFastUpdatePicture commands received (channel numbers). */
  readonly fastUpdates: number[] = [];
  /** userInputIndications and keypad keys received from the gateway. */
  readonly userInput: (UserInput | { kind: 'keypad'; keys: string })[] = [];
  private seq = 0;
  private ts = 0;
  private phase = 0;
  private readonly ssrc = (Math.random() * 2 ** 32) >>> 0;
  private get audio(): (typeof AUDIO)[keyof typeof AUDIO] {
    return AUDIO[this.o.codec ?? 'PCMU'];
  }

  /** Sample rate of `recording()`: 8000, 16000 for G.722. */
  get sampleRate(): number {
    return this.audio.rate;
  }

  private get local(): string {
    return this.o.localAddress ?? '127.0.0.1';
  }
  private video?: { socket: Socket; port: number; rtcp: Socket; rtcpPort: number; frames: Buffer[][]; next: number; timer?: NodeJS.Timeout; seq: number; ts: number; ssrc: number; target?: IpPort };
  /** Video RTP packets received from the gateway. */
  videoPacketsReceived = 0;
  /** RTCP packets received on the RTCP ports we announced (mediaControlChannel), per medium. */
  readonly rtcpPacketsReceived = { audio: 0, video: 0 };
  /** The gateway answered fastConnectRefused (or Connect without fastStart). */
  fastStartRefused = false;
  /** Our logical channels the gateway rejected (or that failed), as error messages. */
  readonly channelFailures: string[] = [];
  /** The H.245 session runs on a separate TCP connection, not the H.225.0 tunnel. */
  private sessionSeparate = false;

  private constructor(private readonly o: H323RoomOptions, private readonly rtp: Socket, private readonly rtpPort: number, private readonly rtcp: Socket, private readonly rtcpPort: number, h245Listener: H245Listener | undefined, video: H323Room['video'], incoming?: IncomingH323Call) {
    this.h245Listener = h245Listener;
    this.video = video;
    video?.socket.on('message', () => void this.videoPacketsReceived++);
    video?.rtcp.on('message', () => void this.rtcpPacketsReceived.video++);
    rtp.on('message', (m) => this.onRtp(m));
    rtcp.on('message', () => void this.rtcpPacketsReceived.audio++);
    const ip = this.local;
    const ours = { rtp: { ip, port: rtpPort }, rtcp: { ip, port: rtcpPort } };
    if (incoming) {
      // answering side (H.323 8.1.7.1): the call's type differs only in events we do not use here
      this.call = incoming as unknown as OutgoingH323Call;
      this.answer(incoming, ours);
      return;
    }
    const audio = o.fastStartAudio ?? this.audio.cap;
    const fastStart = o.mode === 'fastStart'
      ? [
          proposeFastStart({ direction: 'fromRoom', channel: 1, media: audio, sessionId: audio.codec === 'h263' ? 2 : 1, ...ours }),
          proposeFastStart({ direction: 'toRoom', channel: 2, media: audio, sessionId: audio.codec === 'h263' ? 2 : 1, ...ours }),
          ...(video ? [
            proposeFastStart({ direction: 'fromRoom', channel: 3, media: H264, sessionId: 2, payloadType: VIDEO_PT, ...this.videoAddresses() }),
            proposeFastStart({ direction: 'toRoom', channel: 4, media: H264, sessionId: 2, payloadType: VIDEO_PT, ...this.videoAddresses() }),
          ] : []),
        ]
      : undefined;
    this.call = placeCall({
      address: o.gatewayAddress ?? '127.0.0.1', port: o.gatewayPort, logger: o.logger ?? silent,
      ...(o.calledAliases ? { calledAliases: o.calledAliases } : {}),
      ...(o.calledNumber ? { calledNumber: o.calledNumber } : {}),
      callingAliases: [{ h323Id: o.name ?? 'h323-room' }],
      displayName: o.name ?? 'h323-room',
      ...(fastStart ? { fastStart } : {}),
      tunnelling: o.mode === 'fastStart' || o.mode === 'tunnel',
      ...(h245Listener ? { h245Address: { ip, port: h245Listener.port } } : {}),
    });
    this.call.on('fast-start', (olcs) => {
      for (const [i, b] of olcs.entries()) {
        const ch = readFastStartChannel(b, i);
        if (ch?.direction === 'fromRoom' && ch.kind === 'audio' && ch.mediaChannel) this.startSending(ch.mediaChannel);
        if (ch?.direction === 'fromRoom' && ch.kind === 'video' && ch.mediaChannel) this.startVideo(ch.mediaChannel);
      }
    });
    this.call.on('keypad', (keys) => this.userInput.push({ kind: 'keypad', keys }));
    if (o.mode === 'fastStart' || o.mode === 'tunnel') this.runSession(this.call.h245Tunnel!);
    else if (o.mode === 'separate') void h245Listener!.accept().then((ch) => this.runSession(ch), () => undefined);
    else {
      this.call.once('h245-address', (a) => {
        void connectH245(a.ip, a.port).then((ch) => (this.call.isReleased ? ch.close('call ended') : this.runSession(ch)), () => undefined);
      });
    }
  }

  static async dial(o: H323RoomOptions): Promise<H323Room> {
    const local = o.localAddress ?? '127.0.0.1';
    const a = await bindUdp(local);
    const c = await bindUdp(local);
    const l = o.mode === 'separate' ? await listenH245(local, 0) : undefined;
    let video: H323Room['video'];
    if (o.video) {
      const v = await bindUdp(local);
      const vc = await bindUdp(local);
      video = { socket: v.socket, port: v.port, rtcp: vc.socket, rtcpPort: vc.port, frames: accessUnits(readFileSync(o.video.file)), next: 0, seq: 0, ts: 0, ssrc: (Math.random() * 2 ** 32) >>> 0 };
    }
    const room = new H323Room(o, a.socket, a.port, c.socket, c.port, l, video);
    try {
      await room.call.waitConnected();
    } catch (err) {
      room.stop(); // sockets, listener
      throw err;
    }
    return room;
  }

  /**
   * The called room (H.323 8.1.7.1): accept the caller's fastStart pair in our codec (the
   * caller→us channel gets our RTP address, our →caller channel sends to the caller's), Connect,
   * H.245 on the tunnel for user input. No acceptable pair → ReleaseComplete cause 88.
   */
  private answer(call: IncomingH323Call, ours: { rtp: IpPort; rtcp: IpPort }): void {
    call.on('keypad', (keys) => this.userInput.push({ kind: 'keypad', keys }));
    if (this.o.mode === 'tunnel' && call.h245Tunnel) {
      // H.323 8.1.7.1: fastConnectRefused; channels through the tunnelled H.245 session (opened on the caller's TCS)
      call.accept({ fastStart: [] });
      this.runSession(call.h245Tunnel);
      return;
    }
    const channels = call.setup.fastStart.map((b, i) => readFastStartChannel(b, i)).filter((c): c is FastStartChannel => c !== undefined);
    const codec = this.audio.cap.codec;
    // olc.ts names directions from the called side: 'fromRoom' = caller → us, 'toRoom' = us → caller
    const chosen = chooseFastStart(channels, (m) => m.codec === codec || (this.video !== undefined && m.codec === 'h264'));
    const pair = chosen.audio;
    if (!pair) {
      call.reject(88, 'undefinedReason'); // Q.850 88 incompatible destination
      return;
    }
    const answers = [answerFromRoom(pair.fromRoom, ours), answerToRoom(pair.toRoom, { channel: 1, rtcp: ours.rtcp })];
    const video = this.video ? chosen.video : undefined;
    if (video) answers.push(answerFromRoom(video.fromRoom, this.videoAddresses()), answerToRoom(video.toRoom, { channel: 2, rtcp: this.videoAddresses().rtcp }));
    call.accept({ fastStart: answers });
    if (call.h245Tunnel) this.runSession(call.h245Tunnel);
    this.startSending(pair.toRoom.mediaChannel!);
    if (video) this.startVideo(video.toRoom.mediaChannel!);
  }

  /** Answers one incoming call on `call` (H323RoomListener). */
  static async answer(o: H323RoomOptions, call: IncomingH323Call): Promise<H323Room> {
    const local = o.localAddress ?? '127.0.0.1';
    const a = await bindUdp(local);
    const c = await bindUdp(local);
    let video: H323Room['video'];
    if (o.video) {
      const v = await bindUdp(local);
      const vc = await bindUdp(local);
      video = { socket: v.socket, port: v.port, rtcp: vc.socket, rtcpPort: vc.port, frames: accessUnits(readFileSync(o.video.file)), next: 0, seq: 0, ts: 0, ssrc: (Math.random() * 2 ** 32) >>> 0 };
    }
    return new H323Room(o, a.socket, a.port, c.socket, c.port, undefined, video, call);
  }

  private runSession(ch: H245Channel): void {
    const s = new H245Session({ channel: ch, capabilities: [this.audio.cap, ...(this.video ? [H264] : []), 'userInput', 'dtmf'], terminalType: 50, callId: 'room' });
    this.session = s;
    this.sessionSeparate = ch !== this.call.h245Tunnel;
    const ip = this.local;
    s.on('incomingChannel', (req) => {
      if (req.media.codec === 'h264') this.gatewayVideoChannel = req.number;
      if (req.media.codec === 'h264' && this.video) req.accept({ mediaChannel: this.videoAddresses().rtp, mediaControlChannel: this.videoAddresses().rtcp });
      else req.accept({ mediaChannel: { ip, port: this.rtpPort }, mediaControlChannel: { ip, port: this.rtcpPort } });
    });
    s.on('videoFastUpdate', (n) => {
      this.fastUpdates.push(n);
      if (this.video) this.video.next = 0; // the file starts with SPS, PPS and an IDR
    });
    s.on('userInput', (ui) => this.userInput.push(ui));
    // H.323 8.1.7.1: fastStart refused → logical channels through H.245
    const openChannels = () => {
      if (this.target) return;
      s.openChannel({ number: 1, capability: this.o.h245SendCodec ?? this.audio.cap, sessionID: 1, mediaControlChannel: { ip, port: this.rtcpPort } }).then(
        (opened) => { if (opened.mediaChannel) this.startSending(opened.mediaChannel); },
        (err: Error) => this.channelFailures.push(err.message),
      );
      if (this.video) {
        s.openChannel({ number: 2, capability: H264, sessionID: 2, payloadType: VIDEO_PT, mediaControlChannel: { ip, port: this.video.rtcpPort } }).then(
          (opened) => { if (opened.mediaChannel) this.startVideo(opened.mediaChannel); },
          () => undefined,
        );
      }
    };
    if (this.o.mode !== 'fastStart') s.on('remoteCapabilities', openChannels);
    else {
      this.call.once('fast-start-refused', () => {
        this.fastStartRefused = true;
        if (s.remoteCapabilities) openChannels();
        else s.once('remoteCapabilities', openChannels);
      });
    }
    s.start();
  }

  /** The gateway's RTP address for our audio (from the fastStart answer or the OLCAck). */
  get gatewayAudio(): IpPort | undefined {
    return this.target;
  }

  private startSending(to: IpPort): void {
    if (this.target) return;
    this.target = to;
    const hz = this.o.toneHz ?? 440;
    const { rate, pt } = this.audio;
    const codec = this.o.codec ?? 'PCMU';
    const n = rate / 50; // 20 ms
    const pcm = new Int16Array(n);
    const payload = new Uint8Array(160); // 64 kbit/s for 20 ms, G.711 and G.722 alike
    this.sendTimer = setInterval(() => {
      for (let i = 0; i < n; i++) {
        pcm[i] = Math.round(0.3 * 32767 * Math.sin(this.phase));
        this.phase += (2 * Math.PI * hz) / rate;
      }
      if (codec === 'G722') this.g722.enc.encode(pcm, 0, n, payload, 0);
      else g711Encode(codec, pcm, 0, n, payload, 0);
      const pkt = Buffer.alloc(12 + 160);
      pkt[0] = 0x80;
      pkt[1] = pt;
      pkt.writeUInt16BE(this.seq++ & 0xffff, 2);
      pkt.writeUInt32BE(this.ts >>> 0, 4);
      pkt.writeUInt32BE(this.ssrc, 8);
      Buffer.from(payload).copy(pkt, 12);
      this.ts += 160;
      this.rtp.send(pkt, to.port, to.ip);
    }, 20);
  }

  private videoAddresses(): { rtp: IpPort; rtcp: IpPort } {
    return { rtp: { ip: this.local, port: this.video!.port }, rtcp: { ip: this.local, port: this.video!.rtcpPort } };
  }

  /** The gateway's H.264 channel toward us (its forwardLogicalChannelNumber), once it opened one through H.245. */
  gatewayVideoChannel?: number;

  /** H.245 flowControlCommand: the gateway's video to us at most `bps` (100 bit/s units on the wire). */
  limitGatewayVideo(bps: number): void {
    if (this.session && this.gatewayVideoChannel !== undefined) this.session.sendFlowControl(this.gatewayVideoChannel, Math.floor(bps / 100));
  }

  /** The gateway's RTP address for our video. */
  get gatewayVideo(): IpPort | undefined {
    return this.video?.target;
  }

  /** H.264 over RTP (RFC 6184): single NAL units, FU-A above MAX_RTP_PAYLOAD; marker on a frame's last packet. */
  private startVideo(to: IpPort): void {
    const v = this.video;
    if (!v || v.target) return;
    v.target = to;
    v.timer = setInterval(() => {
      const frame = v.frames[v.next]!;
      v.next = (v.next + 1) % v.frames.length;
      const packets: Buffer[] = [];
      for (const nal of frame) {
        if (nal.length <= MAX_RTP_PAYLOAD) {
          packets.push(nal);
          continue;
        }
        const hdr = nal[0]!;
        for (let off = 1; off < nal.length; off += MAX_RTP_PAYLOAD) {
          const end = Math.min(nal.length, off + MAX_RTP_PAYLOAD);
          const fu = Buffer.alloc(2 + end - off);
          fu[0] = (hdr & 0xe0) | 28; // FU indicator: F, NRI, type 28
          fu[1] = (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | (hdr & 0x1f);
          nal.copy(fu, 2, off, end);
          packets.push(fu);
        }
      }
      packets.forEach((payload, i) => {
        const pkt = Buffer.alloc(12 + payload.length);
        pkt[0] = 0x80;
        pkt[1] = (i === packets.length - 1 ? 0x80 : 0) | VIDEO_PT;
        pkt.writeUInt16BE(v.seq++ & 0xffff, 2);
        pkt.writeUInt32BE(v.ts >>> 0, 4);
        pkt.writeUInt32BE(v.ssrc, 8);
        payload.copy(pkt, 12);
        v.socket.send(pkt, to.port, to.ip);
      });
      v.ts += Math.round(90000 / this.o.video!.fps);
    }, 1000 / this.o.video!.fps);
  }

  private onRtp(m: Buffer): void {
    if (m.length < 12 || (m[0]! & 0xc0) !== 0x80 || (m[1]! & 0x7f) !== this.audio.pt) return;
    const cc = m[0]! & 0x0f;
    let off = 12 + cc * 4;
    if (m[0]! & 0x10) off += 4 + m.readUInt16BE(off + 2) * 4;
    const body = m.subarray(off);
    const codec = this.o.codec ?? 'PCMU';
    const count = codec === 'G722' ? body.length * 2 : body.length;
    if (this.received + count > this.samples.length) {
      const bigger = new Int16Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    if (codec === 'G722') this.g722.dec.decode(body, this.samples, this.received);
    else g711Decode(codec, body, this.samples, this.received);
    this.received += count;
  }

  /** The audio received so far, decoded (mono, at `sampleRate`). */
  recording(): Int16Array {
    return this.samples.slice(0, this.received);
  }

  /** At least `seconds` of received audio (at `sampleRate`), polling. */
  async waitForReceivedAudio(seconds: number, timeoutMs = 20_000): Promise<Int16Array> {
    const end = Date.now() + timeoutMs;
    while (this.received < seconds * this.sampleRate) {
      if (Date.now() > end) throw new Error(`only ${(this.received / this.sampleRate).toFixed(2)} s of audio received`);
      await new Promise((r) => setTimeout(r, 100)); // poll interval, not a synchronisation
    }
    return this.samples.slice(0, this.received);
  }

  /** H.245 userInputIndication alphanumeric (H.245 6.x). */
  sendUserInput(text: string): void {
    this.session!.sendUserInput(text);
  }

  hangup(): void {
    const s = this.session;
    if (s && !s.ended && this.sessionSeparate && !this.call.isReleased) {
      // H.323 8.5 steps 4-6 on a separate H.245 channel: endSessionCommand, the gateway's (or the
      // endSession timer) closes the channel, then ReleaseComplete
      clearInterval(this.sendTimer);
      clearInterval(this.video?.timer);
      void s.endSession('hangup').then(() => {
        if (!this.call.isReleased) this.call.release(16);
        this.stop();
      });
      return;
    }
    if (!this.call.isReleased) this.call.release(16);
    this.stop();
  }

  stop(): void {
    clearInterval(this.sendTimer);
    clearInterval(this.video?.timer);
    for (const sock of [this.video?.socket, this.video?.rtcp]) {
      try { sock?.close(); } catch { /* already closed */ }
    }
    this.session?.close('room stopped');
    this.h245Listener?.close();
    try { this.rtp.close(); } catch { /* already closed */ }
    try { this.rtcp.close(); } catch { /* already closed */ }
  }
}

/**
 * A room that waits for calls (the dial-out tests' callee): an H.225.0 listener whose every call
 * is answered by an H323Room with fastStart, sending its tone and recording what it hears.
 */
export class H323RoomListener {
  readonly rooms: H323Room[] = [];
  private waiters: ((r: H323Room) => void)[] = [];

  private constructor(private readonly listener: H323Listener, private readonly o: Omit<H323RoomOptions, 'gatewayPort' | 'mode'> & { answer?: 'fastStart' | 'h245' }) {
    listener.on('call', (call) => {
      void H323Room.answer({ ...this.o, gatewayPort: 0, mode: this.o.answer === 'h245' ? 'tunnel' : 'fastStart' }, call).then((room) => {
        this.rooms.push(room);
        for (const w of this.waiters.splice(0)) w(room);
      }, () => call.isReleased || call.release(41));
    });
  }

  /** `answer`: 'fastStart' (default) accepts the caller's proposals; 'h245' refuses them and opens channels over the tunnel. */
  static async listen(o: Omit<H323RoomOptions, 'gatewayPort' | 'mode'> & { port?: number; answer?: 'fastStart' | 'h245' }): Promise<H323RoomListener> {
    const l = await H323Listener.listen({ bindAddress: o.localAddress ?? '127.0.0.1', port: o.port ?? 0, logger: o.logger ?? silent });
    return new H323RoomListener(l, o);
  }

  get port(): number {
    return this.listener.port;
  }

  /** The next call answered (or the latest, if one came already and nobody took it). */
  nextRoom(): Promise<H323Room> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const r of this.rooms) r.hangup();
    await this.listener.close();
  }
}

// An H.323 room endpoint for end-to-end tests (issue #5), in the test process: places a call
// with roomgate's own H.225.0 and H.245 layers (fastStart, tunnelled H.245, or a separate H.245
// connection), sends a PCMU tone as RTP in 20 ms packets to the address the gateway's answer gave,
// records the PCMU it receives, and sends userInputIndication. The gateway side it talks to is a
// separate code path (gateway/h323), and the H.323 layers themselves are checked against Erlang
// and tshark in test/h323.
import { createSocket, type Socket } from 'node:dgram';
import { g711Decode, g711Encode } from '../../bridge/index.ts';
import type { Alias, IpPort, MediaCapability } from '../../h323/asn1/index.ts';
import { placeCall, type OutgoingH323Call } from '../../h323/h225/index.ts';
import { H245Session, listenH245, type H245Channel, type H245Listener, type UserInput } from '../../h323/h245/index.ts';
import { proposeFastStart, readFastStartChannel } from '../../gateway/h323/olc.ts';

export type H323RoomMode = 'fastStart' | 'tunnel' | 'separate';

export interface H323RoomOptions {
  gatewayPort: number;
  mode: H323RoomMode;
  calledAliases?: Alias[];
  calledNumber?: string;
  /** Our h323-ID and display name. Default 'h323-room'. */
  name?: string;
  toneHz?: number;
}

const PCMU: MediaCapability = { codec: 'g711Ulaw64k', framesPerPacket: 20 };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function bindUdp(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return { socket, port: socket.address().port };
}

export class H323Room {
  readonly call: OutgoingH323Call;
  session?: H245Session;
  /** Decoded PCMU received, 8 kHz. */
  private samples: Int16Array = new Int16Array(8000 * 30);
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

  private constructor(private readonly o: H323RoomOptions, private readonly rtp: Socket, private readonly rtpPort: number, private readonly rtcp: Socket, private readonly rtcpPort: number, h245Listener?: H245Listener) {
    this.h245Listener = h245Listener;
    rtp.on('message', (m) => this.onRtp(m));
    rtcp.on('message', () => undefined);
    const ours = { rtp: { ip: '127.0.0.1', port: rtpPort }, rtcp: { ip: '127.0.0.1', port: rtcpPort } };
    const fastStart = o.mode === 'fastStart'
      ? [
          proposeFastStart({ direction: 'fromRoom', channel: 1, media: PCMU, sessionId: 1, ...ours }),
          proposeFastStart({ direction: 'toRoom', channel: 2, media: PCMU, sessionId: 1, ...ours }),
        ]
      : undefined;
    this.call = placeCall({
      address: '127.0.0.1', port: o.gatewayPort, logger: silent,
      ...(o.calledAliases ? { calledAliases: o.calledAliases } : {}),
      ...(o.calledNumber ? { calledNumber: o.calledNumber } : {}),
      callingAliases: [{ h323Id: o.name ?? 'h323-room' }],
      displayName: o.name ?? 'h323-room',
      ...(fastStart ? { fastStart } : {}),
      tunnelling: o.mode !== 'separate',
      ...(h245Listener ? { h245Address: { ip: '127.0.0.1', port: h245Listener.port } } : {}),
    });
    this.call.on('fast-start', (olcs) => {
      for (const [i, b] of olcs.entries()) {
        const ch = readFastStartChannel(b, i);
        if (ch?.direction === 'fromRoom' && ch.kind === 'audio' && ch.mediaChannel) this.startSending(ch.mediaChannel);
      }
    });
    this.call.on('keypad', (keys) => this.userInput.push({ kind: 'keypad', keys }));
    if (o.mode !== 'separate') this.runSession(this.call.h245Tunnel!);
    else void h245Listener!.accept().then((ch) => this.runSession(ch), () => undefined);
  }

  static async dial(o: H323RoomOptions): Promise<H323Room> {
    const a = await bindUdp();
    const c = await bindUdp();
    const l = o.mode === 'separate' ? await listenH245('127.0.0.1', 0) : undefined;
    const room = new H323Room(o, a.socket, a.port, c.socket, c.port, l);
    await room.call.waitConnected();
    return room;
  }

  private runSession(ch: H245Channel): void {
    const s = new H245Session({ channel: ch, capabilities: [PCMU, 'userInput', 'dtmf'], terminalType: 50, callId: 'room' });
    this.session = s;
    const ip = '127.0.0.1';
    s.on('incomingChannel', (req) => {
      req.accept({ mediaChannel: { ip, port: this.rtpPort }, mediaControlChannel: { ip, port: this.rtcpPort } });
    });
    s.on('videoFastUpdate', (n) => this.fastUpdates.push(n));
    s.on('userInput', (ui) => this.userInput.push(ui));
    if (this.o.mode !== 'fastStart') {
      s.on('remoteCapabilities', () => {
        if (this.target) return;
        s.openChannel({ number: 1, capability: PCMU, sessionID: 1, mediaControlChannel: { ip, port: this.rtcpPort } }).then(
          (opened) => { if (opened.mediaChannel) this.startSending(opened.mediaChannel); },
          () => undefined,
        );
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
    const pcm = new Int16Array(160);
    const payload = new Uint8Array(160);
    this.sendTimer = setInterval(() => {
      for (let i = 0; i < 160; i++) {
        pcm[i] = Math.round(0.3 * 32767 * Math.sin(this.phase));
        this.phase += (2 * Math.PI * hz) / 8000;
      }
      g711Encode('PCMU', pcm, 0, 160, payload, 0);
      const pkt = Buffer.alloc(12 + 160);
      pkt[0] = 0x80;
      pkt[1] = 0; // PT 0 PCMU
      pkt.writeUInt16BE(this.seq++ & 0xffff, 2);
      pkt.writeUInt32BE(this.ts >>> 0, 4);
      pkt.writeUInt32BE(this.ssrc, 8);
      Buffer.from(payload).copy(pkt, 12);
      this.ts += 160;
      this.rtp.send(pkt, to.port, to.ip);
    }, 20);
  }

  private onRtp(m: Buffer): void {
    if (m.length < 12 || (m[0]! & 0xc0) !== 0x80 || (m[1]! & 0x7f) !== 0) return;
    const cc = m[0]! & 0x0f;
    let off = 12 + cc * 4;
    if (m[0]! & 0x10) off += 4 + m.readUInt16BE(off + 2) * 4;
    const body = m.subarray(off);
    if (this.received + body.length > this.samples.length) {
      const bigger = new Int16Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    g711Decode('PCMU', body, this.samples, this.received);
    this.received += body.length;
  }

  /** At least `seconds` of received audio (8 kHz), polling. */
  async waitForReceivedAudio(seconds: number, timeoutMs = 20_000): Promise<Int16Array> {
    const end = Date.now() + timeoutMs;
    while (this.received < seconds * 8000) {
      if (Date.now() > end) throw new Error(`only ${(this.received / 8000).toFixed(2)} s of audio received`);
      await new Promise((r) => setTimeout(r, 100)); // poll interval, not a synchronisation
    }
    return this.samples.slice(0, this.received);
  }

  /** H.245 userInputIndication alphanumeric (H.245 6.x). */
  sendUserInput(text: string): void {
    this.session!.sendUserInput(text);
  }

  hangup(): void {
    if (!this.call.isReleased) this.call.release(16);
    this.stop();
  }

  stop(): void {
    clearInterval(this.sendTimer);
    this.session?.close('room stopped');
    this.h245Listener?.close();
    try { this.rtp.close(); } catch { /* already closed */ }
    try { this.rtcp.close(); } catch { /* already closed */ }
  }
}

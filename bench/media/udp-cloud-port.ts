/**
 * A CloudMediaPort over one plain UDP socket on 127.0.0.1: the meeting side of a call as the
 * bench drives it. Production's werift leg does the same job plus ICE, DTLS and SRTP, which
 * this port leaves out (so the figures are roomgate's media path minus the WebRTC transport).
 * Inbound datagrams are demultiplexed by payload type like a BUNDLEd WebRTC transport: 111 is
 * Opus audio from one meeting speaker, 96 is H.264 video; what the bridge sends goes back to
 * the generator's cloud endpoint.
 */
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { CloudMediaPort, CloudMediaPortEvents } from '../../bridge/index.ts';

const PT_OPUS = 111;
const PT_H264 = 96;
const SPEAKER = 'speaker-1';

export class UdpCloudPort extends EventEmitter<CloudMediaPortEvents> implements CloudMediaPort {
  keyframeRequests = 0;
  private target = 0;

  private constructor(private readonly socket: dgram.Socket) {
    super();
    socket.on('message', (msg) => {
      if (msg.length < 12) return;
      const pt = msg[1]! & 0x7f;
      if (pt === PT_OPUS) this.emit('audio', SPEAKER, msg);
      else if (pt === PT_H264) this.emit('video', msg);
    });
    socket.on('error', () => undefined); // ICMP unreachable once the generator is gone
  }

  static async open(): Promise<UdpCloudPort> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.setRecvBufferSize(1 << 20);
    return new UdpCloudPort(s);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Where sendAudio/sendVideo go: the generator's cloud endpoint. */
  connect(port: number): void {
    this.target = port;
  }

  sendAudio(rtp: Buffer): void { if (this.target) this.socket.send(rtp, this.target, '127.0.0.1'); }
  sendVideo(rtp: Buffer): void { if (this.target) this.socket.send(rtp, this.target, '127.0.0.1'); }
  requestKeyframe(): void { this.keyframeRequests++; }

  close(): void {
    this.removeAllListeners();
    this.socket.close();
  }
}

// Shared pieces of the H.225.0 call signalling tests: a recording logger, the manual clock,
// encoded OLCs for fastStart, and a raw TPKT/Q.931 peer for what our own endpoints never send.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  encodeH245, h323Codec, masterSlaveDetermination, openLogicalChannel, terminalCapabilitySet,
} from '../../h323/asn1/index.ts';
import type { Logger } from '../../h323/h225/index.ts';
import { decodeQ931, TpktReader, type Q931Message } from '../../h323/q931/index.ts';

export interface LogLine { level: string; msg: string; meta?: object }

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, meta?: object) => void lines.push({ level, msg, ...(meta ? { meta } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** sip/clock.ts's ManualClock satisfies H.225.0's Clock (same shape): the tests share it. */
export { ManualClock } from '../../sip/clock.ts';

/** PER-encoded OpenLogicalChannel structures (what fastStart carries, H.323 8.1.7). */
export function fastStartOlcs(): Uint8Array[] {
  const codec = h323Codec();
  const olc = (channel: number, media: Parameters<typeof openLogicalChannel>[0]['media'], port: number) => {
    const msg = openLogicalChannel({ channel, media, sessionId: channel === 3 ? 2 : 1, mediaControlChannel: { ip: '127.0.0.1', port: port + 1 }, mediaChannel: { ip: '127.0.0.1', port } });
    return codec.encode('MULTIMEDIA-SYSTEM-CONTROL.OpenLogicalChannel', (msg.value as { value: unknown }).value);
  };
  return [
    olc(1, { codec: 'g711Ulaw64k', framesPerPacket: 20 }, 40000),
    olc(2, { codec: 'g711Alaw64k', framesPerPacket: 20 }, 40000),
    olc(3, { codec: 'h264', maxBitRate: 3840, profile: 64, level: 43 }, 40002),
  ];
}

/** Two tunnelled H.245 PDUs (MultimediaSystemControlMessage, PER). */
export function h245Pdus(): Uint8Array[] {
  return [
    encodeH245(masterSlaveDetermination(60, 12345)),
    encodeH245(terminalCapabilitySet({ sequenceNumber: 1, capabilities: [{ codec: 'g711Ulaw64k', framesPerPacket: 20 }, 'userInput'] })),
  ];
}

/** A raw TCP peer speaking TPKT: collects every Q.931 message it receives. */
export class RawPeer {
  readonly messages: Q931Message[] = [];
  private readonly reader = new TpktReader();
  private waiters: (() => void)[] = [];
  ended = false;
  closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      for (const p of this.reader.push(d)) this.messages.push(decodeQ931(p));
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('end', () => (this.ended = true));
    socket.on('error', () => undefined);
    this.closed = once(socket, 'close').then(() => undefined);
  }

  static async connect(port: number): Promise<RawPeer> {
    const s = connect({ host: '127.0.0.1', port });
    await once(s, 'connect');
    return new RawPeer(s);
  }

  static wrap(socket: Socket): RawPeer {
    return new RawPeer(socket);
  }

  /** Resolves when `n` messages have arrived. */
  async waitFor(n: number): Promise<Q931Message[]> {
    while (this.messages.length < n) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push(resolve);
        this.socket.once('close', () => (this.messages.length < n ? reject(new Error(`closed after ${this.messages.length} messages`)) : resolve()));
      });
    }
    return this.messages;
  }
}

// Shared fixtures for the H.245 session tests: capability sets, channel pairs (in memory and real
// TCP on loopback), and a promise for the next event of a session.
import type { CapabilityEntry } from '../../h323/asn1/index.ts';
import {
  connectH245, createMemoryChannelPair, listenH245, type H245Channel, type H245Session, type H245SessionEvents, type Logger,
} from '../../h323/h245/index.ts';

export const GATEWAY_CAPS: CapabilityEntry[] = [
  { codec: 'g711Ulaw64k', framesPerPacket: 20 },
  { codec: 'g711Alaw64k', framesPerPacket: 20 },
  { codec: 'g722-64k', framesPerPacket: 20 },
  { codec: 'h264', maxBitRate: 10240, profile: 0x40, level: 71 },
  { codec: 'h263', cifMPI: 1, qcifMPI: 1, maxBitRate: 3840 },
  'userInput',
  'dtmf',
];

export const AUDIO_ONLY_CAPS: CapabilityEntry[] = [{ codec: 'g711Ulaw64k', framesPerPacket: 30 }, 'dtmf'];

export type PairFactory = () => Promise<{ a: H245Channel; b: H245Channel; dispose: () => void }>;

export const memoryPair: PairFactory = async () => {
  const [a, b] = createMemoryChannelPair();
  return { a, b, dispose: () => {} };
};

export const tcpPair: PairFactory = async () => {
  const listener = await listenH245('127.0.0.1', 0);
  const [b, a] = await Promise.all([listener.accept(), connectH245(listener.address, listener.port)]);
  return {
    a, b,
    dispose: () => {
      a.close('test over');
      b.close('test over');
      listener.close();
    },
  };
};

export function next<K extends keyof H245SessionEvents>(s: H245Session, event: K): Promise<H245SessionEvents[K]> {
  return new Promise((resolve) => s.once(event, (...args) => resolve(args)));
}

/** A logger that records what it was told, to check "logged once". */
export function recordingLogger(): Logger & { lines: { level: string; msg: string; meta?: object }[] } {
  const lines: { level: string; msg: string; meta?: object }[] = [];
  const at = (level: string) => (msg: string, meta?: object) => void lines.push({ level, msg, ...(meta ? { meta } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Lets queued microtasks and I/O callbacks run. */
export const settle = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/**
 * roomgate as the system under test: real CallMedia instances (bridge/index.ts) in this
 * process, room side on real UDP ports, meeting side on a CloudMediaPort (UdpCloudPort or an
 * in-process feed). Media problems the bridge logs are counted, not printed per packet.
 */
import { CallMedia, PortAllocator, type CloudMediaPort, type Logger, type MixHubLease, type NegotiatedMedia } from '../../bridge/index.ts';
import { collectGarbage } from './common.ts';
import { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import { measureStep, thisProcess, type StepFigures } from './steps.ts';
import { UdpCloudPort } from './udp-cloud-port.ts';

/** Room-side ports come from here; PortAllocator skips ports other processes hold. */
let ports = new PortAllocator({ min: 20000, max: 31999 });

/** The pool's bookkeeping, for a media thread of this process to share (useSharedPorts). */
export function sharedPorts(): SharedArrayBuffer {
  return ports.shared;
}

/** In a media thread: take ports from the main thread's pool (no two threads bind the same pair). */
export function useSharedPorts(shared: SharedArrayBuffer): void {
  ports = new PortAllocator({ min: 20000, max: 31999, shared });
}

export const bridgeProblems = new Map<string, number>();
const countingLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (msg) => { bridgeProblems.set(msg, (bridgeProblems.get(msg) ?? 0) + 1); },
  error: (msg) => { bridgeProblems.set(msg, (bridgeProblems.get(msg) ?? 0) + 1); },
};

export interface RoomLeg {
  /** The generator's room endpoint for audio (PCMU, PT 0), or undefined for no audio. */
  audioPort?: number;
  /** The generator's room endpoint for H.264 (PT 96), or undefined for no video. */
  videoPort?: number;
}

/**
 * One call's media: PCMU 20 ms toward the room and/or H.264 PT 96, the meeting on `cloud`.
 * `mixHub`: the meeting's shared mix, as the gateway gives every call (with jitter buffers, as
 * in production); without it the call mixes alone.
 */
export async function openCall(leg: RoomLeg, cloud: CloudMediaPort, mixHub?: MixHubLease): Promise<CallMedia> {
  const media = await CallMedia.create({
    ports, bindAddress: '127.0.0.1', logger: countingLogger, video: leg.videoPort !== undefined,
    ...(mixHub ? { mixHub, jitterBuffer: true } : {}),
  });
  const desc: NegotiatedMedia = { address: '127.0.0.1' };
  if (leg.audioPort !== undefined) {
    desc.audio = { port: leg.audioPort, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20 };
  }
  // RFC 6184 8.1: without packetization-mode the room is mode 0 and the relay would reassemble
  // the meeting's FU-A fragments into single NAL units; the bench measures passthrough (mode 1).
  if (leg.videoPort !== undefined) desc.video = { port: leg.videoPort, payloadType: 96, codec: 'H264', fmtp: 'packetization-mode=1' };
  media.setRemote(desc);
  media.attachCloud(cloud);
  return media;
}

/** A call whose meeting leg is a UdpCloudPort sending to the generator's `genCloudPort`. */
export async function openUdpCall(leg: RoomLeg, genCloudPort: number, mixHub?: MixHubLease): Promise<{ media: CallMedia; cloud: UdpCloudPort }> {
  const cloud = await UdpCloudPort.open();
  cloud.connect(genCloudPort);
  try {
    return { media: await openCall(leg, cloud, mixHub), cloud };
  } catch (err) {
    cloud.close();
    throw err;
  }
}

/** One call of a step: its media, its meeting leg, and the generator's endpoints for it. */
export interface StepCall {
  media: CallMedia;
  cloud: UdpCloudPort;
  endpoints: EndpointSpec[];
}

/**
 * One step of `n` calls in this thread, each a CallMedia with a UdpCloudPort, both legs driven
 * by the generator process (two generator sockets per call: `open(i, genPorts[2i], genPorts[2i+1])`).
 * Memory per call is measured from the RSS before the calls open.
 */
export async function udpCallsStep(n: number, open: (i: number, genRoomPort: number, genCloudPort: number) => Promise<StepCall>): Promise<StepFigures> {
  const gen = GeneratorProcess.start();
  const calls: StepCall[] = [];
  try {
    const genPorts = await gen.open(2 * n);
    collectGarbage();
    const rssBefore = process.memoryUsage.rss();
    for (let i = 0; i < n; i++) calls.push(await open(i, genPorts[2 * i]!, genPorts[2 * i + 1]!));
    return await measureStep(n, gen, calls.flatMap((c) => c.endpoints), thisProcess(), rssBefore);
  } finally {
    gen.close();
    for (const c of calls) {
      c.media.close();
      c.cloud.close();
    }
  }
}

export function problemsNote(): string {
  return [...bridgeProblems].map(([m, n]) => `${n}× ${m}`).join('; ');
}

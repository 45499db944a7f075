/**
 * One step of transcoded full-duplex audio through roomgate: N CallMedia, each with a PCMU
 * room leg and an Opus meeting leg (one speaker) on a UdpCloudPort, both legs driven by the
 * generator process. Calls are set up, measured and torn down inside the step.
 */
import { MeetingMixHubs, type CallMedia } from '../../bridge/index.ts';
import { collectGarbage, ownCpuSeconds } from './common.ts';
import { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import { FRAME_MS } from './payloads.ts';
import { openCall } from './roomgate-calls.ts';
import { measureStep, type StepFigures } from './steps.ts';
import { UdpCloudPort } from './udp-cloud-port.ts';

/** Calls whose arrivals are decoded for latency samples. */
export const LATENCY_SAMPLE_CALLS = 16;

/**
 * `production`: each call as the gateway runs it, with its meeting's shared mix (one meeting per
 * call, so the room hears the meeting's one speaker) and jitter buffers both ways.
 */
export async function roomgateTranscodedStep(n: number, production = false): Promise<StepFigures> {
  const hubs = production ? new MeetingMixHubs() : undefined;
  const gen = GeneratorProcess.start();
  const calls: CallMedia[] = [];
  const clouds: UdpCloudPort[] = [];
  try {
    const genPorts = await gen.open(2 * n);
    collectGarbage();
    const rssBefore = process.memoryUsage.rss();
    const endpoints: EndpointSpec[] = [];
    for (let i = 0; i < n; i++) {
      const cloud = await UdpCloudPort.open();
      clouds.push(cloud);
      cloud.connect(genPorts[2 * i + 1]!);
      const media = await openCall({ audioPort: genPorts[2 * i]! }, cloud, hubs?.acquire(`bench-meeting-${i}`));
      calls.push(media);
      const sample = i < LATENCY_SAMPLE_CALLS;
      endpoints.push(
        { role: 'room', send: { kind: 'pcmu', port: media.audioPort, phaseMs: (FRAME_MS * i) / n }, recv: 'pcmu', peer: 2 * i + 1, sample },
        { role: 'cloud', send: { kind: 'opus', port: cloud.port, phaseMs: (FRAME_MS * (i + 0.5)) / n }, recv: 'opus', peer: 2 * i, sample },
      );
    }
    return await measureStep(n, gen, endpoints, { cpuSeconds: ownCpuSeconds, rssBytes: () => { collectGarbage(); return process.memoryUsage.rss(); }, inProcess: true }, rssBefore);
  } finally {
    gen.close();
    for (const c of calls) c.close();
    for (const c of clouds) c.close();
  }
}

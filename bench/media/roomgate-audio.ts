/**
 * One step of transcoded full-duplex audio through roomgate: N calls, room leg PCMU and meeting
 * leg Opus (one speaker) on a UdpCloudPort, both driven by the generator process. In this
 * thread (`roomgateTranscodedStep`), or spread over media worker threads as the gateway's
 * media plane places them (`roomgateThreadedStep`: whole calls per thread, each call its own
 * meeting, so call i → thread i mod threads, the media plane's least-loaded choice).
 */
import { MeetingMixHubs } from '../../bridge/index.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import { FRAME_MS } from './payloads.ts';
import { openUdpCall, udpCallsStep } from './roomgate-calls.ts';
import type { StepFigures } from './steps.ts';
import { roundRobin, threadedStep } from './threaded-step.ts';

/** Calls whose arrivals are decoded for latency samples. */
export const LATENCY_SAMPLE_CALLS = 16;

/** The generator's two legs of call i of n: the room (PCMU) at 2i, the meeting speaker (Opus) at 2i + 1. */
function transcodedEndpoints(i: number, n: number, roomPort: number, cloudPort: number): EndpointSpec[] {
  const sample = i < LATENCY_SAMPLE_CALLS;
  return [
    { role: 'room', send: { kind: 'pcmu', port: roomPort, phaseMs: (FRAME_MS * i) / n }, recv: 'pcmu', peer: 2 * i + 1, sample },
    { role: 'cloud', send: { kind: 'opus', port: cloudPort, phaseMs: (FRAME_MS * (i + 0.5)) / n }, recv: 'opus', peer: 2 * i, sample },
  ];
}

/**
 * `production`: each call as the gateway runs it, with its meeting's shared mix (one meeting per
 * call, so the room hears the meeting's one speaker) and jitter buffers both ways.
 */
export function roomgateTranscodedStep(n: number, production = false): Promise<StepFigures> {
  const hubs = production ? new MeetingMixHubs() : undefined;
  return udpCallsStep(n, async (i, genRoom, genCloud) => {
    const { media, cloud } = await openUdpCall({ audioPort: genRoom }, genCloud, hubs?.acquire(`bench-meeting-${i}`));
    return { media, cloud, endpoints: transcodedEndpoints(i, n, media.audioPort, cloud.port) };
  });
}

/** The gateway configuration (shared mix + jitter buffers) on `threads` media threads. */
export function roomgateThreadedStep(n: number, threads: number): Promise<StepFigures> {
  return threadedStep(n, threads, {
    genSockets: 2 * n,
    placement: roundRobin(n, threads),
    call: (i, genPorts) => ({ kind: 'transcoded', genRoomPort: genPorts[2 * i]!, genCloudPort: genPorts[2 * i + 1]!, meeting: `bench-meeting-${i}` }),
    endpoints: (i, opened) => transcodedEndpoints(i, n, opened.roomPort, opened.cloudPort!),
  });
}

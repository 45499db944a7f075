/**
 * H.264 passthrough calls (issue #4 acceptance 8): N calls, each carrying a 2 Mbit/s H.264
 * RTP stream (synthetic FU-A fragments of ~1,190 bytes, 30 frames/s, 7 packets per frame) room →
 * cloud and another cloud → room through roomgate's CallMedia (VideoRelay: room → cloud as
 * received, cloud → room with SSRC/sequence/timestamp rewritten). Video only, no audio. The
 * meeting leg is a plain UDP CloudMediaPort (no werift/ICE/DTLS/SRTP). Both ends are a generator
 * process; each payload carries its send time, so latency is read per packet. N steps up until
 * more than 0.1 % of the packets of either direction are late (> 20 ms) or lost. The same calls
 * also run on all cores: spread round-robin over media worker threads (MEDIA_VIDEO_THREADS,
 * default os.availableParallelism()), each call its own meeting, as the gateway's media plane
 * places them.
 * Run: npx tsx bench/media-video.ts   (MEDIA_VIDEO_STEPS=25,50,… MEDIA_VIDEO_THREADS=2 MEDIA_BENCH_MEASURE_MS=…)
 */
import { availableParallelism } from 'node:os';
import { fmt, fmtInt, intList, machineLine } from './media/common.ts';
import type { EndpointSpec } from './media/generator-protocol.ts';
import { VIDEO_FPS } from './media/payloads.ts';
import { openUdpCall, problemsNote, udpCallsStep } from './media/roomgate-calls.ts';
import {
  cpuPerCallText, curveText, memoryPerCallText, LATE_MS, latencyText, LIMIT_PCT, MEASURE_MS, maxPassing, reportStep, stepUpSideBySide,
  type StepFigures,
} from './media/steps.ts';
import { roundRobin, threadedStep, threadNotes } from './media/threaded-step.ts';

const STEPS = intList(process.env.MEDIA_VIDEO_STEPS, [10, 25, 50, 100, 200]);
/** Calls whose packets are read for latency (every packet of these calls). */
const SAMPLE_CALLS = 8;
/** Media threads of the all-cores configuration (the gateway's media.workers: auto). */
const THREADS = intList(process.env.MEDIA_VIDEO_THREADS, [availableParallelism()])[0]!;

/** The generator's two legs of call i of n: the room at 2i, the meeting at 2i + 1, both sending H.264. */
function videoEndpoints(i: number, n: number, roomPort: number, cloudPort: number): EndpointSpec[] {
  const period = 1000 / VIDEO_FPS;
  const sample = i < SAMPLE_CALLS;
  return [
    { role: 'room', send: { kind: 'h264', port: roomPort, phaseMs: (period * i) / n }, recv: 'h264', sample },
    { role: 'cloud', send: { kind: 'h264', port: cloudPort, phaseMs: (period * (i + 0.5)) / n }, recv: 'h264', sample },
  ];
}

function videoStep(n: number): Promise<StepFigures> {
  return udpCallsStep(n, async (i, genRoom, genCloud) => {
    const { media, cloud } = await openUdpCall({ videoPort: genRoom }, genCloud);
    return { media, cloud, endpoints: videoEndpoints(i, n, media.videoPort, cloud.port) };
  });
}

/** The N calls on THREADS media threads, round-robin (each call its own meeting). */
function threadedVideoStep(n: number): Promise<StepFigures> {
  return threadedStep(n, THREADS, {
    genSockets: 2 * n,
    placement: roundRobin(n, THREADS),
    call: (i, genPorts) => ({ kind: 'video', genRoomPort: genPorts[2 * i]!, genCloudPort: genPorts[2 * i + 1]! }),
    endpoints: (i, opened) => videoEndpoints(i, n, opened.roomPort, opened.cloudPort!),
  });
}

const atText = (f: StepFigures): string => `at N=${fmtInt(f.n)}${f.pass ? '' : ', a FAILED step'}`;

function printLatency(system: string, f: StepFigures): void {
  console.log(`media latency H.264 passthrough room → cloud, ${system}: ${latencyText(f.latencyMs.cloud ?? [])} ${atText(f)} (goal p99 ≤ 5 ms; per packet, socket to socket)`);
  console.log(`media latency H.264 passthrough cloud → room, ${system}: ${latencyText(f.latencyMs.room ?? [])} ${atText(f)} (goal p99 ≤ 5 ms; per packet, socket to socket)`);
}

/** The generator's own load at a configuration's last step. */
function generatorText(steps: StepFigures[]): string {
  const last = steps.at(-1)!;
  return `${fmt(last.generatorCores * 100, 0)} % of a core, ${fmt(last.generatorLateSendPct, 2)} % of its sends > 5 ms late`;
}


async function main(): Promise<void> {
  const machineBefore = machineLine();
  const [steps = [], threaded = []] = await stepUpSideBySide(STEPS, [
    { label: 'h264 passthrough', run: videoStep },
    ...(THREADS >= 2 ? [{ label: `h264 passthrough, ${THREADS} media threads,`, run: threadedVideoStep }] : []),
  ]);
  const max = maxPassing(steps);
  const at = reportStep(steps);
  const where = atText(at);
  console.log(`media H.264 passthrough calls, 2 Mbit/s each way (room → cloud and cloud → room; roomgate CallMedia, ` +
    `meeting leg plain UDP, no werift): ${max.text} with ≤ ${LIMIT_PCT} % late (> ${LATE_MS} ms) and ≤ ${LIMIT_PCT} % loss, ` +
    `${MEASURE_MS / 1000} s windows (goal ≥ 200; curve: ${curveText(steps)}; generator at the last step ` +
    `${generatorText(steps)})`);
  printLatency('roomgate', at);
  console.log(`media H.264 passthrough cpu per call, roomgate whole Node process: ${cpuPerCallText(at)}`);
  console.log(`media H.264 passthrough memory per call, roomgate RSS: ${memoryPerCallText(at)} ${where}`);
  if (threaded.length > 0) {
    const tAt = reportStep(threaded);
    console.log(`media H.264 passthrough calls, 2 Mbit/s each way, roomgate on all cores: ${THREADS} media worker threads ` +
      `(gateway/media-plane: whole calls per thread, round-robin, each call its own meeting; meeting leg as above): ${maxPassing(threaded).text} ` +
      `with ≤ ${LIMIT_PCT} % late (> ${LATE_MS} ms) and ≤ ${LIMIT_PCT} % loss, ${MEASURE_MS / 1000} s windows (goal ≥ 200 on 2 cores; ` +
      `curve: ${curveText(threaded)}; generator at the last step ${generatorText(threaded)})`);
    printLatency(`roomgate ${THREADS} media threads`, tAt);
    console.log(`media H.264 passthrough cpu per call, roomgate ${THREADS} media threads, whole process: ${cpuPerCallText(tAt)}`);
  }
  console.log(`media H.264 passthrough machine: ${machineBefore} before, ${machineLine().replace(/.*1-min/, '1-min')} after ` +
    '(the generator process shares the cores with the system under test)');
  const notes = [problemsNote(), ...threadNotes].filter(Boolean).join('; ');
  if (notes) process.stderr.write(`  roomgate bridge notes: ${notes}\n`);
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`media-video failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

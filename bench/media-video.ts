/**
 * H.264 passthrough calls (issue #4 acceptance 8): N calls, each carrying a 2 Mbit/s H.264
 * RTP stream (synthetic FU-A fragments of ~1,190 bytes, 30 frames/s, 7 packets per frame) room →
 * cloud and another cloud → room through roomgate's CallMedia (VideoRelay: room → cloud as
 * received, cloud → room with SSRC/sequence/timestamp rewritten). Video only, no audio. The
 * meeting leg is a plain UDP CloudMediaPort (no werift/ICE/DTLS/SRTP). Both ends are a generator
 * process; each payload carries its send time, so latency is read per packet. N steps up until
 * more than 0.1 % of the packets of either direction are late (> 20 ms) or lost.
 * Run: npx tsx bench/media-video.ts   (MEDIA_VIDEO_STEPS=25,50,… MEDIA_BENCH_MEASURE_MS=…)
 */
import type { CallMedia } from '../bridge/index.ts';
import { fmtInt, intList, machineLine, ownCpuSeconds, collectGarbage } from './media/common.ts';
import { GeneratorProcess } from './media/generator-client.ts';
import type { EndpointSpec } from './media/generator-protocol.ts';
import { VIDEO_FPS } from './media/payloads.ts';
import { openCall, problemsNote } from './media/roomgate-calls.ts';
import {
  cpuPerCallText, curveText, memoryPerCallText, LATE_MS, latencyText, LIMIT_PCT, MEASURE_MS, maxPassing, measureStep, stepSummary, type StepFigures,
} from './media/steps.ts';
import { UdpCloudPort } from './media/udp-cloud-port.ts';

const STEPS = intList(process.env.MEDIA_VIDEO_STEPS, [10, 25, 50, 100, 200]);
/** Calls whose packets are read for latency (every packet of these calls). */
const SAMPLE_CALLS = 8;

async function videoStep(n: number): Promise<StepFigures> {
  const gen = GeneratorProcess.start();
  const calls: CallMedia[] = [];
  const clouds: UdpCloudPort[] = [];
  try {
    const genPorts = await gen.open(2 * n);
    collectGarbage();
    const rssBefore = process.memoryUsage.rss();
    const endpoints: EndpointSpec[] = [];
    const period = 1000 / VIDEO_FPS;
    for (let i = 0; i < n; i++) {
      const cloud = await UdpCloudPort.open();
      clouds.push(cloud);
      cloud.connect(genPorts[2 * i + 1]!);
      const media = await openCall({ videoPort: genPorts[2 * i]! }, cloud);
      calls.push(media);
      const sample = i < SAMPLE_CALLS;
      endpoints.push(
        { role: 'room', send: { kind: 'h264', port: media.videoPort, phaseMs: (period * i) / n }, recv: 'h264', sample },
        { role: 'cloud', send: { kind: 'h264', port: cloud.port, phaseMs: (period * (i + 0.5)) / n }, recv: 'h264', sample },
      );
    }
    return await measureStep(n, gen, endpoints, { cpuSeconds: ownCpuSeconds, rssBytes: () => { collectGarbage(); return process.memoryUsage.rss(); }, inProcess: true }, rssBefore);
  } finally {
    gen.close();
    for (const c of calls) c.close();
    for (const c of clouds) c.close();
  }
}

async function main(): Promise<void> {
  const machineBefore = machineLine();
  const steps: StepFigures[] = [];
  for (const n of STEPS) {
    const f = await videoStep(n);
    steps.push(f);
    process.stderr.write(`  h264 passthrough N=${n}: ${stepSummary(f)}\n`);
    if (!f.pass) break;
  }
  const max = maxPassing(steps);
  const at = steps.filter((s) => s.pass).at(-1) ?? steps[0]!;
  const where = `at N=${fmtInt(at.n)}${at.pass ? '' : ', a FAILED step'}`;
  console.log(`media H.264 passthrough calls, 2 Mbit/s each way (room → cloud and cloud → room; roomgate CallMedia, ` +
    `meeting leg plain UDP, no werift): ${max.text} with ≤ ${LIMIT_PCT} % late (> ${LATE_MS} ms) and ≤ ${LIMIT_PCT} % loss, ` +
    `${MEASURE_MS / 1000} s windows (goal ≥ 200; curve: ${curveText(steps)}; generator at the last step ` +
    `${Math.round(steps.at(-1)!.generatorCores * 100)} % of a core, ${steps.at(-1)!.generatorLateSendPct.toFixed(2)} % of its sends > 5 ms late)`);
  console.log(`media latency H.264 passthrough room → cloud, roomgate: ${latencyText(at.latencyMs.cloud ?? [])} ${where} (goal p99 ≤ 5 ms; per packet, socket to socket)`);
  console.log(`media latency H.264 passthrough cloud → room, roomgate: ${latencyText(at.latencyMs.room ?? [])} ${where} (goal p99 ≤ 5 ms; per packet, socket to socket)`);
  console.log(`media H.264 passthrough cpu per call, roomgate whole Node process: ${cpuPerCallText(at)}`);
  console.log(`media H.264 passthrough memory per call, roomgate RSS: ${memoryPerCallText(at)} ${where}`);
  console.log(`media H.264 passthrough machine: ${machineBefore} before, ${machineLine().replace(/.*1-min/, '1-min')} after ` +
    '(the generator process shares the cores with the system under test)');
  const notes = problemsNote();
  if (notes) process.stderr.write(`  roomgate bridge notes: ${notes}\n`);
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`media-video failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

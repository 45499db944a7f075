/**
 * Transcoded audio calls (issue #4 acceptance 8): concurrent full-duplex G.711 PCMU ⇄ Opus
 * calls through roomgate's CallMedia, and the same load through Debian's rtpengine side by
 * side. A generator process (bench/media/generator.ts) plays both ends of every call: a room
 * leg sending PCMU 20 ms and a meeting leg sending Opus 20 ms (one speaker), each receiving
 * what the system under test sends back. N steps up until more than 0.1 % of the packets of
 * either direction arrive late (> MEDIA_BENCH_LATE_MS, default 20 ms, behind their schedule)
 * or are lost. One line per figure on stdout; progress on stderr. See bench/README.md.
 * Run: npx tsx bench/media-audio.ts   (MEDIA_AUDIO_STEPS=50,100,200 MEDIA_BENCH_MEASURE_MS=…)
 */
import { fmt, fmtInt, intList, machineLine, procThreads } from './media/common.ts';
import { FRAME_MS } from './media/payloads.ts';
import { measureCodecCost } from './media/codec-cost.ts';
import { directAudioStep } from './media/direct-audio.ts';
import { availableParallelism } from 'node:os';
import { roomgateThreadedStep, roomgateTranscodedStep } from './media/roomgate-audio.ts';
import { threadNotes } from './media/threaded-step.ts';
import { problemsNote } from './media/roomgate-calls.ts';
import { rtpengineTranscodedStep } from './media/rtpengine-audio.ts';
import { Rtpengine, rtpengineInstalled, rtpengineTranscodesOpus } from './media/rtpengine.ts';
import {
  cpuPerCallText, curveText, memoryPerCallText, LATE_MS, latencyText, LIMIT_PCT, MEASURE_MS, maxPassing, reportStep, stepSummary, type StepFigures,
} from './media/steps.ts';

const STEPS = intList(process.env.MEDIA_AUDIO_STEPS, [10, 25, 50, 100, 200, 400]);
/** Media threads of the all-cores configuration (the gateway's media.workers: auto). */
const THREADS = intList(process.env.MEDIA_AUDIO_THREADS, [availableParallelism()])[0]!;
const NG_PORT = 42222;
const RTPENGINE_PORTS = { portMin: 42300, portMax: 44999 };

let engine: Rtpengine | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void (engine?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

/** The second roomgate configuration: each call with its meeting's MeetingMixHub lease and `jitterBuffer: true`. */
const PROD = 'as the gateway runs it: shared mix + jitter buffers';
const at = (f: StepFigures): string => `at N=${fmtInt(f.n)}${f.pass ? '' : ', a FAILED step'}`;

async function main(): Promise<void> {
  const machineBefore = machineLine();
  const codec = measureCodecCost();
  const rgLabel = 'roomgate CallMedia (meeting leg: plain UDP CloudMediaPort, no werift/ICE/DTLS/SRTP; 1 Node thread)';
  const haveEngine = rtpengineInstalled() && rtpengineTranscodesOpus();
  if (haveEngine) engine = await Rtpengine.start({ ngPort: NG_PORT, ...RTPENGINE_PORTS });
  const rg: StepFigures[] = [];
  const rp: StepFigures[] = []; // as the gateway runs it: shared mix + jitter buffers
  let rpDone = false;
  const rt: StepFigures[] = []; // the gateway config on all cores: calls spread over THREADS media threads
  let rtDone = THREADS < 2;
  const re: StepFigures[] = [];
  let rgDone = false;
  let reDone = !engine;
  // Steps interleave the systems so drift in machine load touches both alike.
  for (const n of STEPS) {
    if (interrupted || (rgDone && rpDone && rtDone && reDone)) break;
    if (!rgDone) {
      const f = await roomgateTranscodedStep(n);
      rg.push(f);
      process.stderr.write(`  roomgate N=${n}: ${stepSummary(f)}\n`);
      rgDone = !f.pass;
    }
    if (!rpDone) {
      const f = await roomgateTranscodedStep(n, true);
      rp.push(f);
      process.stderr.write(`  roomgate (gateway config) N=${n}: ${stepSummary(f)}\n`);
      rpDone = !f.pass;
    }
    if (!rtDone) {
      const f = await roomgateThreadedStep(n, THREADS);
      rt.push(f);
      process.stderr.write(`  roomgate (gateway config, ${THREADS} media threads) N=${n}: ${stepSummary(f)}\n`);
      rtDone = !f.pass;
    }
    if (!reDone && engine) {
      const f = await rtpengineTranscodedStep(engine, n);
      re.push(f);
      process.stderr.write(`  rtpengine N=${n}: ${stepSummary(f)}\n`);
      reDone = !f.pass;
    }
  }
  const limits = `≤ ${LIMIT_PCT} % late (> ${LATE_MS} ms behind schedule) and ≤ ${LIMIT_PCT} % loss, both directions, ${MEASURE_MS / 1000} s windows`;
  const rgMax = maxPassing(rg);
  console.log(`media transcoded calls, G.711 PCMU ⇄ Opus full duplex, ${rgLabel}: ${rgMax.text} with ${limits} ` +
    `(goal ≥ 400 on 2 cores; curve: ${curveText(rg)})`);
  const rgStep = reportStep(rg);
  const rpStep = reportStep(rp);
  console.log(`media transcoded calls, G.711 PCMU ⇄ Opus full duplex, ${rgLabel} ${PROD}: ${maxPassing(rp).text} with ${limits} ` +
    `(curve: ${curveText(rp)})`);
  if (rt.length > 0) {
    console.log(`media transcoded calls, G.711 PCMU ⇄ Opus full duplex, roomgate on all cores: ${THREADS} media worker threads ` +
      `(gateway/media-plane: whole calls per thread, ${PROD}; meeting leg as above): ${maxPassing(rt).text} with ${limits} ` +
      `(goal ≥ 400 on 2 cores; curve: ${curveText(rt)})`);
    const rtStep = reportStep(rt);
    console.log(`media transcoded cpu per call, roomgate ${THREADS} media threads, whole process: ${cpuPerCallText(rtStep)}`);
  }
  if (engine) {
    const reMax = maxPassing(re);
    const threads = `default threads: ${procThreads(engine.pid)} in the process`;
    console.log(`media transcoded calls, G.711 PCMU ⇄ Opus full duplex, rtpengine 10.5 userspace (--table=-1, ${threads}): ` +
      `${reMax.text} with ${limits} (curve: ${curveText(re)})`);
    const reStep = reportStep(re);
    const ratio = reMax.n > 0 ? `${fmt(rgMax.n / reMax.n, 2)}x` : 'n/a (rtpengine passed no step)';
    const cpuRatio = (rgStep.cores / (rgStep.n * rgStep.delivered)) / (reStep.cores / (reStep.n * reStep.delivered));
    console.log(`media transcoded ratio roomgate / rtpengine: max calls ${ratio}; cpu per call ${fmt(cpuRatio, 2)}x ` +
      `(roomgate ${at(rgStep)}, rtpengine ${at(reStep)}; > 1 means roomgate spends more)`);
    if (rt.length > 0) {
      const rtMax = maxPassing(rt);
      console.log(`media transcoded ratio roomgate all cores (${THREADS} media threads) / rtpengine (all its threads): max calls ` +
        `${reMax.n > 0 ? `${fmt(rtMax.n / reMax.n, 2)}x` : 'n/a'} (${fmtInt(rtMax.n)} vs ${fmtInt(reMax.n)})`);
    }
    console.log(`media transcoded cpu per call, roomgate whole Node process: ${cpuPerCallText(rgStep)}`);
    console.log(`media transcoded cpu per call, rtpengine all threads: ${cpuPerCallText(reStep)}`);
    console.log(`media transcoded memory per call, roomgate RSS: ${memoryPerCallText(rgStep)} ${at(rgStep)}`);
    console.log(`media transcoded memory per call, rtpengine RSS: ${memoryPerCallText(reStep)} ${at(reStep)}`);
    printLatency('roomgate', rgStep);
    printLatency(`roomgate ${PROD}`, rpStep);
    printLatency('rtpengine', reStep);
  } else {
    console.log('media transcoded calls, rtpengine: skipped (rtpengine with Opus transcoding not installed; scripts/setup.sh)');
    console.log(`media transcoded cpu per call, roomgate whole Node process: ${cpuPerCallText(rgStep)}`);
    console.log(`media transcoded memory per call, roomgate RSS: ${memoryPerCallText(rgStep)} ${at(rgStep)}`);
    printLatency('roomgate', rgStep);
    printLatency(`roomgate ${PROD}`, rpStep);
  }
  console.log(`media transcoded machine: ${machineBefore} before, ${machineLine().replace(/.*1-min/, '1-min')} after ` +
    '(the generator process shares the cores with the system under test)');
  const perCallCore = ((codec.uplinkUs + codec.downlinkUs) / (FRAME_MS * 1000));
  console.log(`media transcoded codec cpu per call, roomgate pipeline alone (in-process, no sockets, no clock): ` +
    `room → meeting ${fmt(codec.uplinkUs, 0)} µs + meeting → room ${fmt(codec.downlinkUs, 0)} µs per 20 ms frame = ` +
    `${fmt(perCallCore * 100, 2)} % of a core per call (≈ ${fmtInt(1 / perCallCore)} calls per fully used core before any I/O)`);
  // The floor at the largest N either system was driven with: what the generator alone manages.
  const floorN = Math.max(rg.at(-1)!.n, rp.at(-1)?.n ?? 0, rt.at(-1)?.n ?? 0, re.at(-1)?.n ?? 0);
  const floor = await directAudioStep(floorN);
  const worst = (f: StepFigures, key: 'latePct' | 'lossPct'): number => Math.max(...Object.values(f.roles).map((r) => r[key]));
  console.log(`media transcoded measurement floor, generator → generator direct (no system between the legs) at N=${fmtInt(floorN)}: ` +
    `late ${fmt(worst(floor, 'latePct'), 2)} %, loss ${fmt(worst(floor, 'lossPct'), 2)} %, latency PCMU leg → Opus leg ` +
    `${latencyText(floor.latencyMs.cloud ?? [])}, Opus leg → PCMU leg ${latencyText(floor.latencyMs.room ?? [])}; ` +
    `generator ${fmt(floor.generatorCores * 100, 0)} % of a core`);
  const notes = [problemsNote(), ...threadNotes].filter(Boolean).join('; ');
  if (notes) process.stderr.write(`  roomgate bridge notes: ${notes}\n`);
}

function printLatency(system: string, f: StepFigures): void {
  console.log(`media latency transcoded room PCMU → cloud Opus, ${system}: ${latencyText(f.latencyMs.cloud ?? [])} ` +
    `${at(f)} (goal p99 ≤ 30 ms; audio onset to onset, socket to socket)`);
  console.log(`media latency transcoded cloud Opus → room PCMU, ${system}: ${latencyText(f.latencyMs.room ?? [])} ` +
    `${at(f)} (goal p99 ≤ 30 ms; audio onset to onset, socket to socket)`);
}

main().then(
  async () => { await engine?.stop(); process.exit(0); },
  async (err: Error) => {
    process.stderr.write(`media-audio failed: ${err.stack ?? err.message}\n`);
    if (engine) process.stderr.write(`rtpengine stderr: ${engine.log().slice(-1500)}\n`);
    await engine?.stop();
    process.exit(interrupted ? 130 : 1);
  },
);

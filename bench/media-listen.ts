/**
 * Listening rooms fed from one meeting (issue #4 acceptance 8): M rooms (CallMedia, PCMU
 * toward the room) all hearing the same meeting of S speakers (default 3), through the
 * meeting's shared mix as the gateway runs them (bridge/audio/mix: each speaker decoded once, the
 * mix encoded once per codec, each room costs a header and a send; jitter buffers on).
 * MEDIA_LISTEN_SHARED=0 gives every room its own mix, for comparison. The meeting is fed in-process (bench/media/meeting-feed.ts); the rooms are a generator
 * process that only receives (late/loss counted as in media-audio). M steps up until a step
 * exceeds 0.1 % late or lost. One line per figure on stdout. See bench/README.md.
 * Run: npx tsx bench/media-listen.ts   (MEDIA_LISTEN_STEPS=100,250,… MEDIA_LISTEN_SPEAKERS=3)
 */
import { MeetingMixHubs, type CallMedia } from '../bridge/index.ts';
import { boundedInt, fmtInt, intList, machineLine, ownCpuSeconds, collectGarbage } from './media/common.ts';
import { GeneratorProcess } from './media/generator-client.ts';
import type { EndpointSpec } from './media/generator-protocol.ts';
import { MeetingFeed } from './media/meeting-feed.ts';
import { openCall, problemsNote } from './media/roomgate-calls.ts';
import { cpuPerCallText, curveText, memoryPerCallText, LATE_MS, LIMIT_PCT, MEASURE_MS, maxPassing, measureStep, stepSummary, type StepFigures } from './media/steps.ts';

const STEPS = intList(process.env.MEDIA_LISTEN_STEPS, [25, 50, 100, 250, 500, 1000, 2000]);
const SPEAKERS = boundedInt(process.env.MEDIA_LISTEN_SPEAKERS, 3, 1, 16);
const SHARED = process.env.MEDIA_LISTEN_SHARED !== '0';

async function listenStep(m: number): Promise<StepFigures> {
  const gen = GeneratorProcess.start();
  const feed = new MeetingFeed(SPEAKERS);
  const calls: CallMedia[] = [];
  const hubs = new MeetingMixHubs();
  try {
    const genPorts = await gen.open(m);
    collectGarbage();
    const rssBefore = process.memoryUsage.rss();
    const endpoints: EndpointSpec[] = [];
    for (let i = 0; i < m; i++) {
      calls.push(await openCall({ audioPort: genPorts[i]! }, feed.attach(), SHARED ? hubs.acquire('bench') : undefined));
      endpoints.push({ role: 'room', recv: 'pcmu' });
    }
    feed.start();
    return await measureStep(m, gen, endpoints, { cpuSeconds: ownCpuSeconds, rssBytes: () => { collectGarbage(); return process.memoryUsage.rss(); }, inProcess: true }, rssBefore);
  } finally {
    feed.stop();
    gen.close();
    for (const c of calls) c.close();
  }
}

async function main(): Promise<void> {
  const machineBefore = machineLine();
  const steps: StepFigures[] = [];
  for (const m of STEPS) {
    const f = await listenStep(m);
    steps.push(f);
    process.stderr.write(`  listening rooms M=${m}: ${stepSummary(f)}\n`);
    if (!f.pass) break;
  }
  const max = maxPassing(steps);
  const at = steps.filter((s) => s.pass).at(-1) ?? steps[0]!;
  const where = `at M=${fmtInt(at.n)}${at.pass ? '' : ', a FAILED step'}`;
  console.log(`media listening rooms fed from one meeting (${SPEAKERS} Opus speakers, PCMU rooms; roomgate CallMedia, ` +
    `${SHARED ? 'one shared mix per meeting as the gateway runs it' : 'each room decodes, mixes and encodes on its own'}; meeting fed in-process, no werift): ${max.text} rooms with ` +
    `≤ ${LIMIT_PCT} % late (> ${LATE_MS} ms) and ≤ ${LIMIT_PCT} % loss, ${MEASURE_MS / 1000} s windows ` +
    `(goal ≥ 2,000; curve: ${curveText(steps).replace(/N=/g, 'M=')})`);
  console.log(`media listening rooms cpu per room, roomgate whole Node process: ${cpuPerCallText(at, 'room', 'M')}`);
  console.log(`media listening rooms memory per room, roomgate RSS: ${memoryPerCallText(at)} ${where}`);
  console.log(`media listening rooms machine: ${machineBefore} before, ${machineLine().replace(/.*1-min/, '1-min')} after`);
  const notes = problemsNote();
  if (notes) process.stderr.write(`  roomgate bridge notes: ${notes}\n`);
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`media-listen failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

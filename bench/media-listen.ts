/**
 * Listening rooms fed from one meeting (issue #4 acceptance 8): M rooms (CallMedia, PCMU
 * toward the room) all hearing the same meeting of S speakers (default 3), through the
 * meeting's shared mix as the gateway runs them (bridge/audio/mix: each speaker decoded once, the
 * mix encoded once per codec, each room costs a header and a send; jitter buffers on).
 * MEDIA_LISTEN_SHARED=0 gives every room its own mix, for comparison. The meeting is fed in-process (bench/media/meeting-feed.ts); the rooms are a generator
 * process that only receives (late/loss counted as in media-audio). M steps up until a step
 * exceeds 0.1 % late or lost. The same rooms also run on all cores: spread over media worker
 * threads (MEDIA_LISTEN_THREADS, default os.availableParallelism()) as the gateway's media plane
 * places one meeting's calls (the first 100 on one thread, the rest to the least loaded), each
 * thread with its own shared mix and its own in-process feed of the same speakers.
 * One line per figure on stdout. See bench/README.md.
 * Run: npx tsx bench/media-listen.ts   (MEDIA_LISTEN_STEPS=100,250,… MEDIA_LISTEN_SPEAKERS=3 MEDIA_LISTEN_THREADS=2)
 */
import { availableParallelism } from 'node:os';
import { MeetingMixHubs, type CallMedia } from '../bridge/index.ts';
import { boundedInt, fmtInt, intList, machineLine, collectGarbage } from './media/common.ts';
import { GeneratorProcess } from './media/generator-client.ts';
import type { EndpointSpec } from './media/generator-protocol.ts';
import { MeetingFeed } from './media/meeting-feed.ts';
import { openCall, problemsNote } from './media/roomgate-calls.ts';
import {
  cpuPerCallText, curveText, memoryPerCallText, LATE_MS, LIMIT_PCT, MEASURE_MS, maxPassing, measureStep, reportStep, stepUpSideBySide, thisProcess, type StepFigures,
} from './media/steps.ts';
import { MEETING_CALLS_PER_THREAD, meetingPlacement, threadedStep, threadNotes } from './media/threaded-step.ts';

const STEPS = intList(process.env.MEDIA_LISTEN_STEPS, [25, 50, 100, 250, 500, 1000, 2000]);
const SPEAKERS = boundedInt(process.env.MEDIA_LISTEN_SPEAKERS, 3, 1, 16);
const SHARED = process.env.MEDIA_LISTEN_SHARED !== '0';
/** Media threads of the all-cores configuration (the gateway's media.workers: auto). */
const THREADS = intList(process.env.MEDIA_LISTEN_THREADS, [availableParallelism()])[0]!;
const MEETING = 'bench';
/** A listening room's generator endpoint: it only receives PCMU. */
const LISTENER = { role: 'room', recv: 'pcmu' } as const;

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
      calls.push(await openCall({ audioPort: genPorts[i]! }, feed.attach(), SHARED ? hubs.acquire(MEETING) : undefined));
      endpoints.push(LISTENER);
    }
    feed.start();
    return await measureStep(m, gen, endpoints, thisProcess(), rssBefore);
  } finally {
    feed.stop();
    gen.close();
    for (const c of calls) c.close();
  }
}

/** The M rooms on THREADS media threads, placed as the media plane places one meeting's calls. */
function threadedListenStep(m: number): Promise<StepFigures> {
  return threadedStep(m, THREADS, {
    genSockets: m,
    placement: meetingPlacement(m, THREADS),
    call: (i, genPorts) => ({ kind: 'listen', genRoomPort: genPorts[i]!, meeting: MEETING, speakers: SPEAKERS }),
    endpoints: () => [LISTENER],
  });
}

const mCurve = (steps: StepFigures[]): string => curveText(steps).replace(/N=/g, 'M=');

async function main(): Promise<void> {
  const machineBefore = machineLine();
  const [steps = [], threaded = []] = await stepUpSideBySide(STEPS, [
    { label: 'listening rooms', run: listenStep },
    ...(THREADS >= 2 ? [{ label: `listening rooms, ${THREADS} media threads,`, run: threadedListenStep }] : []),
  ], 'M');
  const max = maxPassing(steps);
  const at = reportStep(steps);
  const where = `at M=${fmtInt(at.n)}${at.pass ? '' : ', a FAILED step'}`;
  const limits = `≤ ${LIMIT_PCT} % late (> ${LATE_MS} ms) and ≤ ${LIMIT_PCT} % loss, ${MEASURE_MS / 1000} s windows`;
  console.log(`media listening rooms fed from one meeting (${SPEAKERS} Opus speakers, PCMU rooms; roomgate CallMedia, ` +
    `${SHARED ? 'one shared mix per meeting as the gateway runs it' : 'each room decodes, mixes and encodes on its own'}; meeting fed in-process, no werift): ${max.text} rooms with ` +
    `${limits} (goal ≥ 2,000; curve: ${mCurve(steps)})`);
  console.log(`media listening rooms cpu per room, roomgate whole Node process: ${cpuPerCallText(at, 'room', 'M')}`);
  console.log(`media listening rooms memory per room, roomgate RSS: ${memoryPerCallText(at)} ${where}`);
  if (threaded.length > 0) {
    console.log(`media listening rooms fed from one meeting (${SPEAKERS} Opus speakers, PCMU rooms), roomgate on all cores: ${THREADS} media ` +
      `worker threads (gateway/media-plane placement: the first ${MEETING_CALLS_PER_THREAD} rooms on one thread, the rest to the least loaded; ` +
      `each thread its own shared mix of the meeting and its own in-process feed of the ${SPEAKERS} speakers, no werift): ` +
      `${maxPassing(threaded).text} rooms with ${limits} (goal ≥ 2,000 on 2 cores; curve: ${mCurve(threaded)})`);
    console.log(`media listening rooms cpu per room, roomgate ${THREADS} media threads, whole process: ${cpuPerCallText(reportStep(threaded), 'room', 'M')}`);
  }
  console.log(`media listening rooms machine: ${machineBefore} before, ${machineLine().replace(/.*1-min/, '1-min')} after`);
  const notes = [problemsNote(), ...threadNotes].filter(Boolean).join('; ');
  if (notes) process.stderr.write(`  roomgate bridge notes: ${notes}\n`);
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`media-listen failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

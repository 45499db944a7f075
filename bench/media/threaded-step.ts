/**
 * One step through roomgate on all cores: the step's calls spread over `threads` worker threads
 * of this process (media-thread.ts, booted by thread-boot.mjs), whole calls per thread as the
 * gateway's media plane places them (gateway/media-plane), room ports from one shared pool. CPU
 * is the whole process (all threads); the generator process drives the legs as in the
 * single-thread steps.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { collectGarbage } from './common.ts';
import { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import type { FromMediaThread, OpenedCall, ThreadCall, ToMediaThread } from './media-thread.ts';
import { sharedPorts } from './roomgate-calls.ts';
import { measureStep, thisProcess, type EventLoopWatch, type StepFigures } from './steps.ts';

/** Media problems the threads counted (their problemsNote at close), for the bench's notes line. */
export const threadNotes: string[] = [];

/** The media plane's default `meetingCallsPerThread`. */
export const MEETING_CALLS_PER_THREAD = 100;

/**
 * The thread of each of `m` calls of one meeting, as the media plane's placement picks it: the
 * meeting's threads in the order it got them, the first holding fewer than `perThread` of its
 * calls; else the least loaded thread (the lowest index on a tie). So 250 calls on 2 threads:
 * 100 on thread 0, 100 on thread 1, then alternating.
 */
export function meetingPlacement(m: number, threads: number, perThread = MEETING_CALLS_PER_THREAD): number[] {
  const load = new Array<number>(threads).fill(0);
  const meetingThreads: number[] = [];
  return Array.from({ length: m }, () => {
    let t = meetingThreads.find((h) => load[h]! < perThread);
    if (t === undefined) {
      t = load.indexOf(Math.min(...load));
      if (!meetingThreads.includes(t)) meetingThreads.push(t);
    }
    load[t]!++;
    return t;
  });
}

async function ask(worker: Worker, msg: ToMediaThread): Promise<FromMediaThread> {
  const reply = once(worker, 'message') as Promise<[FromMediaThread]>;
  worker.postMessage(msg);
  return (await reply)[0];
}

/** What a threaded step runs: where each call goes, what it is, its generator endpoints. */
export interface ThreadedLoad {
  /** Generator sockets, in the order of the step's endpoints. */
  genSockets: number;
  /** The thread of each call (index i: call i). */
  placement: number[];
  /** Call i as its thread opens it, given the generator's ports. */
  call(i: number, genPorts: number[]): ThreadCall;
  /** The generator endpoints of call i (they follow those of call i − 1). */
  endpoints(i: number, opened: OpenedCall): EndpointSpec[];
}

/** Calls of one-call meetings: call i → thread i mod threads (the least loaded, in turn). */
export function roundRobin(n: number, threads: number): number[] {
  return Array.from({ length: n }, (_, i) => i % threads);
}

/** The event loops of the media threads: the worst thread's p99 and max. */
function threadsEventLoop(workers: Worker[]): EventLoopWatch {
  return {
    start: () => { for (const w of workers) w.postMessage({ op: 'loop-start' } satisfies ToMediaThread); },
    stop: async () => {
      const replies = await Promise.all(workers.map((w) => ask(w, { op: 'loop-stop' })));
      const loops = replies.flatMap((r) => (r.op === 'loop' ? [r] : []));
      return { p99Ms: Math.max(...loops.map((l) => l.p99Ms)), maxMs: Math.max(...loops.map((l) => l.maxMs)) };
    },
  };
}

export async function threadedStep(n: number, threads: number, load: ThreadedLoad): Promise<StepFigures> {
  const workers = Array.from({ length: threads }, () =>
    new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: { ports: sharedPorts() } }));
  const ended = new Set<Worker>(); // a thread that failed answers no 'close'
  for (const w of workers) w.once('exit', () => ended.add(w));
  const gen = GeneratorProcess.start();
  try {
    const genPorts = await gen.open(load.genSockets);
    collectGarbage();
    const rssBefore = process.memoryUsage.rss();
    const shares: number[][] = workers.map(() => []); // call indices per thread
    load.placement.forEach((t, i) => shares[t]!.push(i));
    const perCall: EndpointSpec[][] = new Array(n);
    await Promise.all(workers.map(async (w, t) => {
      const reply = await ask(w, { op: 'open', calls: shares[t]!.map((i) => load.call(i, genPorts)) });
      if (reply.op !== 'opened') throw new Error('media thread did not open its calls');
      reply.calls.forEach((opened, k) => { perCall[shares[t]![k]!] = load.endpoints(shares[t]![k]!, opened); });
    }));
    return await measureStep(n, gen, perCall.flat(), thisProcess(threadsEventLoop(workers)), rssBefore);
  } finally {
    gen.close();
    for (const w of workers) {
      const reply = ended.has(w) ? undefined : await ask(w, { op: 'close' }).catch(() => undefined);
      if (reply?.op === 'closed' && reply.notes) threadNotes.push(reply.notes);
      await w.terminate();
    }
  }
}

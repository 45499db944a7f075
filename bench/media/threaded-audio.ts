/**
 * One step of transcoded full-duplex audio through roomgate on all cores: the N calls spread
 * over `threads` worker threads as the gateway's media plane places them (whole calls per
 * thread, each call its own meeting here; gateway/media-plane), each call as the gateway runs
 * it (shared mix + jitter buffers; meeting leg on a UdpCloudPort, no werift). CPU is the whole
 * process (all threads); the generator process drives both legs as in roomgate-audio.ts.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { collectGarbage, ownCpuSeconds } from './common.ts';
import type { FromAudioThread, ThreadCall, ToAudioThread } from './audio-thread.ts';
import { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import { FRAME_MS } from './payloads.ts';
import { LATENCY_SAMPLE_CALLS } from './roomgate-audio.ts';
import { sharedPorts } from './roomgate-calls.ts';
import { measureStep, type StepFigures } from './steps.ts';

export const threadNotes: string[] = [];

async function ask(worker: Worker, msg: ToAudioThread): Promise<FromAudioThread> {
  const reply = once(worker, 'message') as Promise<[FromAudioThread]>;
  worker.postMessage(msg);
  return (await reply)[0];
}

export async function roomgateThreadedStep(n: number, threads: number): Promise<StepFigures> {
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./thread-boot.mjs', import.meta.url), { workerData: { ports: sharedPorts() } }));
  const gen = GeneratorProcess.start();
  try {
    const genPorts = await gen.open(2 * n);
    collectGarbage();
    const rssBefore = process.memoryUsage.rss();
    // call i → thread i mod threads (the media plane's least-loaded choice for one-call meetings)
    const shares: { index: number; call: ThreadCall }[][] = workers.map(() => []);
    for (let i = 0; i < n; i++) shares[i % threads]!.push({ index: i, call: { genRoomPort: genPorts[2 * i]!, genCloudPort: genPorts[2 * i + 1]!, meeting: `bench-meeting-${i}` } });
    const endpoints: EndpointSpec[] = new Array(2 * n);
    await Promise.all(workers.map(async (w, t) => {
      const reply = await ask(w, { op: 'open', calls: shares[t]!.map((s) => s.call) });
      if (reply.op !== 'opened') throw new Error('media thread did not open its calls');
      reply.ports.forEach((p, k) => {
        const i = shares[t]![k]!.index;
        const sample = i < LATENCY_SAMPLE_CALLS;
        endpoints[2 * i] = { role: 'room', send: { kind: 'pcmu', port: p.audioPort, phaseMs: (FRAME_MS * i) / n }, recv: 'pcmu', peer: 2 * i + 1, sample };
        endpoints[2 * i + 1] = { role: 'cloud', send: { kind: 'opus', port: p.cloudPort, phaseMs: (FRAME_MS * (i + 0.5)) / n }, recv: 'opus', peer: 2 * i, sample };
      });
    }));
    return await measureStep(n, gen, endpoints, { cpuSeconds: ownCpuSeconds, rssBytes: () => { collectGarbage(); return process.memoryUsage.rss(); }, inProcess: false }, rssBefore);
  } finally {
    gen.close();
    for (const w of workers) {
      const reply = await ask(w, { op: 'close' }).catch(() => undefined);
      if (reply?.op === 'closed' && reply.notes) threadNotes.push(reply.notes);
      await w.terminate();
    }
  }
}

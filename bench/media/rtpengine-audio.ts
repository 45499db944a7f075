/**
 * One step of transcoded full-duplex audio through rtpengine: N calls set up over ng (PCMU
 * leg A ⇄ Opus leg B), both legs driven by the same generator as roomgate's step, then the
 * calls deleted. rtpengine runs for the whole bench; CPU and memory are read from /proc.
 */
import { procCpuSeconds, procRssBytes } from './common.ts';
import { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import { FRAME_MS } from './payloads.ts';
import { LATENCY_SAMPLE_CALLS } from './roomgate-audio.ts';
import type { Rtpengine } from './rtpengine.ts';
import { measureStep, type StepFigures } from './steps.ts';

let callSeq = 0;

export async function rtpengineTranscodedStep(eng: Rtpengine, n: number): Promise<StepFigures> {
  const gen = GeneratorProcess.start();
  const ids: string[] = [];
  try {
    const genPorts = await gen.open(2 * n);
    const rssBefore = procRssBytes(eng.pid);
    const endpoints: EndpointSpec[] = [];
    for (let i = 0; i < n; i++) {
      const id = `bench-${process.pid}-${++callSeq}`;
      ids.push(id);
      const { aTarget, bTarget, opusPt } = await eng.transcodedCall(id, genPorts[2 * i]!, genPorts[2 * i + 1]!);
      const sample = i < LATENCY_SAMPLE_CALLS;
      endpoints.push(
        { role: 'room', send: { kind: 'pcmu', port: aTarget, phaseMs: (FRAME_MS * i) / n }, recv: 'pcmu', peer: 2 * i + 1, sample },
        { role: 'cloud', send: { kind: 'opus', port: bTarget, phaseMs: (FRAME_MS * (i + 0.5)) / n, payloadType: opusPt }, recv: 'opus', peer: 2 * i, sample },
      );
    }
    return await measureStep(n, gen, endpoints, { cpuSeconds: () => procCpuSeconds(eng.pid), rssBytes: () => procRssBytes(eng.pid) }, rssBefore);
  } finally {
    gen.close();
    for (const id of ids) await eng.deleteCall(id);
  }
}

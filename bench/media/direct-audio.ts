/**
 * The measurement floor of the audio benches: the same generator load with nothing in
 * between (each call's PCMU leg sends to its Opus leg and back), so late packets, loss and
 * latency here are the generator's and the kernel's own on this machine at that moment. A
 * system's figures can only be read above this floor.
 */
import { GeneratorProcess } from './generator-client.ts';
import type { EndpointSpec } from './generator-protocol.ts';
import { FRAME_MS } from './payloads.ts';
import { LATENCY_SAMPLE_CALLS } from './roomgate-audio.ts';
import { measureStep, type StepFigures } from './steps.ts';

export async function directAudioStep(n: number): Promise<StepFigures> {
  const gen = GeneratorProcess.start();
  try {
    const ports = await gen.open(2 * n);
    const endpoints: EndpointSpec[] = [];
    for (let i = 0; i < n; i++) {
      const sample = i < LATENCY_SAMPLE_CALLS;
      endpoints.push(
        { role: 'room', send: { kind: 'pcmu', port: ports[2 * i + 1]!, phaseMs: (FRAME_MS * i) / n }, recv: 'opus', peer: 2 * i + 1, sample },
        { role: 'cloud', send: { kind: 'opus', port: ports[2 * i]!, phaseMs: (FRAME_MS * (i + 0.5)) / n }, recv: 'pcmu', peer: 2 * i, sample },
      );
    }
    return await measureStep(n, gen, endpoints, { cpuSeconds: () => 0, rssBytes: () => 0 }, 0);
  } finally {
    gen.close();
  }
}

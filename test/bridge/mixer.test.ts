import { describe, expect, it } from 'vitest';
import { AudioMixer } from '../../bridge/index.ts';

const frame = (v: number, n = 960) => new Int16Array(n).fill(v);

describe('AudioMixer', () => {
  it('sums sources and clips with saturation instead of wrapping', () => {
    const m = new AudioMixer({ prefillSamples: 960 });
    m.push('a', frame(20000), 0);
    m.push('b', frame(20000), 0);
    m.push('c', frame(-100), 0);
    const out = new Float32Array(960);
    expect(m.mix(out, 20)).toBe(3);
    expect(out[0]).toBe(32767);
    m.push('a', frame(-30000), 20);
    m.push('b', frame(-30000), 20);
    m.mix(out, 40);
    expect(out[0]).toBe(-32768);
  });

  it('holds a source until its prefill is reached, then re-buffers after an underrun', () => {
    const m = new AudioMixer({ prefillSamples: 1920 });
    const out = new Float32Array(960);
    m.push('a', frame(100), 0);
    expect(m.mix(out, 20)).toBe(0); // one frame < prefill of two
    m.push('a', frame(100), 20);
    expect(m.mix(out, 40)).toBe(1);
    expect(out[0]).toBe(100);
    expect(m.mix(out, 60)).toBe(1);
    expect(m.mix(out, 80)).toBe(0); // empty: underrun, re-buffering
    expect(m.underruns).toBe(1);
    m.push('a', frame(100), 80);
    expect(m.mix(out, 100)).toBe(0); // waits for prefill again
  });

  it('accepts arbitrary packet sizes (10 ms, 60 ms) into 20 ms frames', () => {
    const m = new AudioMixer({ prefillSamples: 960 });
    const out = new Float32Array(960);
    m.push('a', frame(5, 480), 0);
    m.push('a', frame(7, 2880), 0);
    expect(m.mix(out, 20)).toBe(1);
    expect(out[0]).toBe(5);
    expect(out[959]).toBe(7);
  });

  it('bounds a source queue (drops oldest) so a burst cannot build latency', () => {
    const m = new AudioMixer({ prefillSamples: 960, maxQueueSamples: 1920 });
    for (let i = 0; i < 5; i++) m.push('a', frame(i), 0);
    expect(m.droppedSamples).toBe(3 * 960);
    const out = new Float32Array(960);
    m.mix(out, 20);
    expect(out[0]).toBe(3);
  });

  it('drops sources silent for longer than the timeout', () => {
    const m = new AudioMixer({ prefillSamples: 960, sourceTimeoutMs: 200 });
    const removed: string[] = [];
    m.push('a', frame(1), 0);
    m.push('b', frame(1), 0);
    const out = new Float32Array(960);
    m.mix(out, 20, (id) => removed.push(id));
    m.push('b', frame(1), 250);
    m.mix(out, 260, (id) => removed.push(id));
    expect(removed).toEqual(['a']);
    expect(m.sourceCount).toBe(1);
  });
});

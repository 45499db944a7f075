import { describe, expect, it } from 'vitest';
import { dominantFrequency, rms, spectralPeaks } from './spectrum.ts';

/** Sum of sines, `seconds` long, after `silence` seconds of digital silence, as Int16. */
function tones(rate: number, seconds: number, parts: Array<[hz: number, amp: number]>, silence = 0): Int16Array {
  const lead = Math.round(silence * rate);
  const out = new Int16Array(lead + Math.round(seconds * rate));
  for (let i = 0; i < out.length - lead; i++) {
    let v = 0;
    for (const [hz, amp] of parts) v += amp * Math.sin((2 * Math.PI * hz * i) / rate + hz);
    out[lead + i] = Math.round(v * 32767);
  }
  return out;
}

describe('dominantFrequency', () => {
  it.each([
    [440, 8000],
    [880, 8000],
    [1000, 16000],
    [440.5, 48000],
    [997, 48000],
    [3210, 44100],
  ])('finds a pure %d Hz tone at %d Hz within ±1 Hz over 0.5 s', (hz, rate) => {
    expect(Math.abs(dominantFrequency(tones(rate, 0.5, [[hz, 0.5]]), rate) - hz)).toBeLessThan(1);
  });

  it('accepts Float32 samples', () => {
    const i16 = tones(48000, 0.5, [[523.25, 0.3]]);
    const f32 = Float32Array.from(i16, (v) => v / 32768);
    expect(Math.abs(dominantFrequency(f32, 48000) - 523.25)).toBeLessThan(1);
  });

  it('ignores several seconds of leading silence', () => {
    const pcm = tones(8000, 0.6, [[440, 0.2]], 5);
    expect(Math.abs(dominantFrequency(pcm, 8000) - 440)).toBeLessThan(1);
  });

  it('analyses the loudest part of a long recording with a quiet other tone', () => {
    const rate = 48000;
    const quiet = tones(rate, 3, [[300, 0.02]]);
    const loud = tones(rate, 2, [[880, 0.5]]);
    const pcm = new Int16Array(quiet.length + loud.length);
    pcm.set(quiet);
    pcm.set(loud, quiet.length);
    expect(Math.abs(dominantFrequency(pcm, rate) - 880)).toBeLessThan(1);
  });

  it('still finds the tone under white noise at 10 dB SNR', () => {
    const rate = 8000;
    const pcm = tones(rate, 1, [[440, 0.3]]);
    let seed = 1;
    for (let i = 0; i < pcm.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      pcm[i] = pcm[i]! + Math.round(((seed / 2 ** 31) * 2 - 1) * 0.3 * Math.sqrt(3 / 10) * 32767 / Math.SQRT2);
    }
    expect(Math.abs(dominantFrequency(pcm, rate) - 440)).toBeLessThan(1);
  });

  it('returns NaN for silence and for empty input', () => {
    expect(dominantFrequency(new Int16Array(8000), 8000)).toBeNaN();
    expect(dominantFrequency(new Int16Array(0), 8000)).toBeNaN();
  });
});

describe('spectralPeaks', () => {
  it('separates a two-tone mix, strongest first, with levels', () => {
    const peaks = spectralPeaks(tones(48000, 0.5, [[440, 0.2], [880, 0.5]]), 48000, 2);
    expect(peaks.map((p) => Math.round(p.hz))).toEqual([880, 440]);
    expect(peaks[0]!.level).toBeCloseTo(0.5, 1);
    expect(peaks[1]!.level).toBeCloseTo(0.2, 1);
  });

  it('separates a three-tone mix (DTMF-like spacing) and reports nothing else', () => {
    const peaks = spectralPeaks(tones(8000, 0.5, [[697, 0.3], [1209, 0.25], [1336, 0.2]]), 8000, 5);
    expect(peaks.slice(0, 3).map((p) => Math.round(p.hz))).toEqual([697, 1209, 1336]);
    // Whatever comes after the three real tones is window leakage, far below them.
    for (const p of peaks.slice(3)) expect(p.level).toBeLessThan(0.01);
  });

  it('finds close tones 20 Hz apart over 1 s', () => {
    const peaks = spectralPeaks(tones(8000, 1, [[1000, 0.4], [1020, 0.3]]), 8000, 2);
    expect(peaks.map((p) => Math.round(p.hz)).sort()).toEqual([1000, 1020]);
  });
});

describe('rms', () => {
  it('is 1/√2 of the amplitude for a sine and 0 for silence', () => {
    expect(rms(tones(8000, 1, [[440, 0.5]]))).toBeCloseTo(0.5 / Math.SQRT2, 3);
    expect(rms(new Float32Array(100))).toBe(0);
    expect(rms(new Int16Array(0))).toBe(0);
  });
});

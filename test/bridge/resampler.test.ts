import { describe, expect, it } from 'vitest';
import { Downsampler48to16, Downsampler48to8, Upsampler16to48, Upsampler8to48, floatToInt16 } from '../../bridge/index.ts';
import { dominantFrequency } from '../helpers/spectrum.ts';

function sine(hz: number, rate: number, n: number, amp: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** SNR (dB) of `x` against its least-squares fit by a sinusoid of `hz` (phase and delay free). */
function sineSnrDb(x: Float32Array, hz: number, rate: number): number {
  let ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
  for (let i = 0; i < x.length; i++) {
    const s = Math.sin((2 * Math.PI * hz * i) / rate);
    const c = Math.cos((2 * Math.PI * hz * i) / rate);
    ss += s * s; cc += c * c; sc += s * c; xs += x[i]! * s; xc += x[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let sig = 0, err = 0;
  for (let i = 0; i < x.length; i++) {
    const fit = a * Math.sin((2 * Math.PI * hz * i) / rate) + b * Math.cos((2 * Math.PI * hz * i) / rate);
    sig += fit * fit;
    err += (x[i]! - fit) ** 2;
  }
  return 10 * Math.log10(sig / err);
}

/** Level (dB relative to `ref` amplitude) of the `hz` component, by correlation. */
function toneLevelDb(x: Float32Array, hz: number, rate: number, ref: number): number {
  let s = 0, c = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
    c += x[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
  }
  return 20 * Math.log10((2 * Math.hypot(s, c)) / x.length / ref);
}

function upsampleInFrames(input: Float32Array, frame: number): Float32Array {
  const up = new Upsampler8to48();
  const out = new Float32Array(input.length * 6);
  for (let o = 0; o < input.length; o += frame) up.process(input, o, Math.min(frame, input.length - o), out, o * 6);
  return out;
}

function downsampleInFrames(input: Float32Array, frame: number): Float32Array {
  const down = new Downsampler48to8();
  const out = new Float32Array(input.length / 6);
  for (let o = 0; o < input.length; o += frame) down.process(input, o, Math.min(frame, input.length - o), out, o / 6);
  return out;
}

describe('8 kHz <-> 48 kHz polyphase resampler', () => {
  const tone8k = sine(440, 8000, 16000, 10000);

  it('440 Hz at 8 kHz -> 48 kHz keeps frequency and level; images (8k±440, 16k±440) below -70 dB', () => {
    const up = upsampleInFrames(tone8k, 160);
    expect(dominantFrequency(up, 48000)).toBeCloseTo(440, 0);
    const seg = up.subarray(2000);
    expect(toneLevelDb(seg, 440, 48000, 10000)).toBeGreaterThan(-0.1);
    for (const image of [7560, 8440, 15560, 16440]) expect(toneLevelDb(seg, image, 48000, 10000)).toBeLessThan(-70);
  });

  it.each([440, 3000])('round trip 8k -> 48k -> 8k through 16-bit PCM as in the media path: %i Hz dominant, SNR above 70 dB', (hz) => {
    const tone = sine(hz, 8000, 16000, 10000);
    const up = upsampleInFrames(tone, 160);
    const up16 = new Int16Array(up.length);
    floatToInt16(up, 0, up.length, up16, 0);
    const down = new Downsampler48to8();
    const back = new Float32Array(tone.length);
    for (let o = 0; o < up16.length; o += 960) down.process(up16, o, 960, back, o / 6);
    const back16 = new Int16Array(back.length);
    floatToInt16(back, 0, back.length, back16, 0);
    expect(dominantFrequency(back16, 8000)).toBeCloseTo(hz, 0);
    const snr = sineSnrDb(Float32Array.from(back16.subarray(200)), hz, 8000);
    console.info(`resampler round trip ${hz} Hz, 16-bit: SNR ${snr.toFixed(1)} dB`);
    expect(snr).toBeGreaterThan(70); // 16-bit quantisation twice bounds it near 85 dB
  });

  it('keeps state across frames: frame-by-frame output equals one-shot output (no edge clicks)', () => {
    const whole = upsampleInFrames(tone8k, tone8k.length);
    const framed = upsampleInFrames(tone8k, 160);
    const odd = upsampleInFrames(tone8k, 80); // 10 ms frames
    let maxDiff = 0;
    for (let i = 0; i < whole.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole[i]! - framed[i]!), Math.abs(whole[i]! - odd[i]!));
    expect(maxDiff).toBeLessThan(1e-2);
    const tone48 = sine(1000, 48000, 48000, 10000);
    const d1 = downsampleInFrames(tone48, 48000);
    const d2 = downsampleInFrames(tone48, 960);
    let maxDown = 0;
    for (let i = 0; i < d1.length; i++) maxDown = Math.max(maxDown, Math.abs(d1[i]! - d2[i]!));
    expect(maxDown).toBeLessThan(1e-2);
  });

  it.each([5000, 7000, 12000])('48k -> 8k suppresses a %i Hz tone (would alias) by more than 50 dB', (hz) => {
    const out = downsampleInFrames(sine(hz, 48000, 48000, 10000), 960);
    let e = 0;
    for (let i = 400; i < out.length; i++) e += out[i]! * out[i]!;
    const rmsOut = Math.sqrt(e / (out.length - 400));
    const rmsIn = 10000 / Math.SQRT2;
    expect(20 * Math.log10(rmsOut / rmsIn)).toBeLessThan(-50);
  });

  it('passes the telephone band (300-3300 Hz) within 0.5 dB', () => {
    for (const hz of [300, 1000, 2000, 3000, 3300]) {
      const out = downsampleInFrames(sine(hz, 48000, 48000, 10000), 960);
      let e = 0;
      for (let i = 400; i < out.length; i++) e += out[i]! * out[i]!;
      const gainDb = 20 * Math.log10(Math.sqrt(e / (out.length - 400)) / (10000 / Math.SQRT2));
      expect(Math.abs(gainDb)).toBeLessThan(0.5);
    }
  });
});

describe('16 kHz <-> 48 kHz polyphase resampler (G.722 rooms)', () => {
  function up16(input: Float32Array, frame: number): Float32Array {
    const up = new Upsampler16to48();
    const out = new Float32Array(input.length * 3);
    for (let o = 0; o < input.length; o += frame) up.process(input, o, Math.min(frame, input.length - o), out, o * 3);
    return out;
  }
  function down16(input: Float32Array | Int16Array, frame: number): Float32Array {
    const down = new Downsampler48to16();
    const out = new Float32Array(input.length / 3);
    for (let o = 0; o < input.length; o += frame) down.process(input, o, Math.min(frame, input.length - o), out, o / 3);
    return out;
  }
  function gainDb(out: Float32Array, amp: number): number {
    let e = 0;
    for (let i = 600; i < out.length; i++) e += out[i]! * out[i]!;
    return 20 * Math.log10(Math.sqrt(e / (out.length - 600)) / (amp / Math.SQRT2));
  }

  it.each([1000, 6000])('round trip 16k -> 48k -> 16k through 16-bit PCM as in the media path: %i Hz dominant, SNR above 70 dB', (hz) => {
    const tone = sine(hz, 16000, 32000, 10000);
    const up = up16(tone, 320);
    const up16bit = new Int16Array(up.length);
    floatToInt16(up, 0, up.length, up16bit, 0);
    const back = down16(up16bit, 960);
    const back16 = new Int16Array(back.length);
    floatToInt16(back, 0, back.length, back16, 0);
    expect(dominantFrequency(back16, 16000)).toBeCloseTo(hz, 0);
    const snr = sineSnrDb(Float32Array.from(back16.subarray(400)), hz, 16000);
    console.info(`resampler 16k round trip ${hz} Hz, 16-bit: SNR ${snr.toFixed(1)} dB`);
    expect(snr).toBeGreaterThan(70);
  });

  it('1 kHz at 16 kHz -> 48 kHz keeps frequency and level; images (16k±1k, 32k±1k) below -70 dB', () => {
    const up = up16(sine(1000, 16000, 32000, 10000), 320);
    expect(dominantFrequency(up, 48000)).toBeCloseTo(1000, 0);
    const seg = up.subarray(2000);
    expect(toneLevelDb(seg, 1000, 48000, 10000)).toBeGreaterThan(-0.1);
    for (const image of [15000, 17000, 31000, 33000]) expect(toneLevelDb(seg, image, 48000, 10000)).toBeLessThan(-70);
  });

  it('passes 50-6500 Hz within 0.5 dB and 7 kHz (top of G.722\'s band) within 1 dB', () => {
    for (const hz of [50, 300, 1000, 3400, 5000, 6500]) {
      expect(Math.abs(gainDb(down16(sine(hz, 48000, 48000, 10000), 960), 10000))).toBeLessThan(0.5);
    }
    const at7k = gainDb(down16(sine(7000, 48000, 48000, 10000), 960), 10000);
    console.info(`resampler 48k -> 16k gain at 7 kHz: ${at7k.toFixed(2)} dB`);
    expect(Math.abs(at7k)).toBeLessThan(1);
  });

  it.each([8500, 10000, 14000, 20000])('48k -> 16k suppresses a %i Hz tone (would alias) by more than 50 dB', (hz) => {
    const g = gainDb(down16(sine(hz, 48000, 48000, 10000), 960), 10000);
    console.info(`resampler 48k -> 16k at ${hz} Hz: ${g.toFixed(1)} dB`);
    expect(g).toBeLessThan(-50);
  });

  it('keeps state across frames: 20 ms and 10 ms frames give the one-shot output', () => {
    const tone = sine(3000, 16000, 16000, 10000);
    const whole = up16(tone, tone.length);
    const framed = up16(tone, 320);
    const odd = up16(tone, 160);
    let maxDiff = 0;
    for (let i = 0; i < whole.length; i++) maxDiff = Math.max(maxDiff, Math.abs(whole[i]! - framed[i]!), Math.abs(whole[i]! - odd[i]!));
    expect(maxDiff).toBeLessThan(1e-2);
    const tone48 = sine(1000, 48000, 48000, 10000);
    const d1 = down16(tone48, 48000);
    const d2 = down16(tone48, 960);
    let maxDown = 0;
    for (let i = 0; i < d1.length; i++) maxDown = Math.max(maxDown, Math.abs(d1[i]! - d2[i]!));
    expect(maxDown).toBeLessThan(1e-2);
  });
});

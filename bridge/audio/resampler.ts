/**
 * Rational resampling by an integer factor between 8 kHz and 48 kHz (factor 6) with one
 * windowed-sinc low-pass (Kaiser window) used polyphase: the upsampler evaluates only the
 * taps that meet non-zero input, the downsampler only the outputs it keeps. History is kept
 * across calls, so consecutive frames join without clicks.
 *
 * Filter: cutoff 3.9 kHz at 48 kHz, 192 taps (32 per phase), Kaiser beta 8 (about 80 dB
 * stopband); passband to about 3.3 kHz, stopband from about 4.5 kHz: the telephone band
 * (300-3400 Hz) passes, and images/aliases around 4 kHz are suppressed.
 */
export const RESAMPLE_FACTOR = 6;
const TAPS_PER_PHASE = 32;
const TAPS = TAPS_PER_PHASE * RESAMPLE_FACTOR;
const CUTOFF_HZ = 3900;
const HIGH_RATE = 48000;
const KAISER_BETA = 8;

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** Prototype low-pass at 48 kHz, unity DC gain. */
function designLowPass(): Float64Array {
  const h = new Float64Array(TAPS);
  const fc = CUTOFF_HZ / HIGH_RATE; // cycles per sample
  const mid = (TAPS - 1) / 2;
  const i0b = besselI0(KAISER_BETA);
  let sum = 0;
  for (let n = 0; n < TAPS; n++) {
    const t = n - mid;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = t / mid;
    const w = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    h[n] = sinc * w;
    sum += h[n]!;
  }
  for (let n = 0; n < TAPS; n++) h[n]! /= sum;
  return h;
}

const PROTOTYPE = designLowPass();

/** Phase p holds taps h[p + 6k], k = 0..31, scaled by 6 (interpolation gain). */
const UP_PHASES: Float64Array[] = Array.from({ length: RESAMPLE_FACTOR }, (_, p) => {
  const ph = new Float64Array(TAPS_PER_PHASE);
  for (let k = 0; k < TAPS_PER_PHASE; k++) ph[k] = PROTOTYPE[p + RESAMPLE_FACTOR * k]! * RESAMPLE_FACTOR;
  return ph;
});
const DOWN_TAPS = PROTOTYPE;

/** Group delay of either direction, in 48 kHz samples. */
export const RESAMPLER_DELAY_48K = (TAPS - 1) / 2;

/** 8 kHz → 48 kHz. */
export class Upsampler8to48 {
  /** Last TAPS_PER_PHASE-1 input samples, then room for the frame being processed. */
  private buf: Float64Array;
  private readonly hist = TAPS_PER_PHASE - 1;

  constructor(maxInputSamples = 480) {
    this.buf = new Float64Array(this.hist + maxInputSamples);
  }

  /** Resample `count` samples of `input` into `output` (6 × count samples). */
  process(input: Int16Array | Float32Array, inputOffset: number, count: number, output: Float32Array, outputOffset = 0): number {
    if (this.buf.length < this.hist + count) {
      const bigger = new Float64Array(this.hist + count);
      bigger.set(this.buf.subarray(0, this.hist));
      this.buf = bigger;
    }
    const buf = this.buf;
    const hist = this.hist;
    for (let i = 0; i < count; i++) buf[hist + i] = input[inputOffset + i]!;
    let o = outputOffset;
    for (let m = 0; m < count; m++) {
      const newest = hist + m; // index of x[m]
      for (let p = 0; p < RESAMPLE_FACTOR; p++) {
        const ph = UP_PHASES[p]!;
        let acc = 0;
        for (let k = 0; k < TAPS_PER_PHASE; k++) acc += ph[k]! * buf[newest - k]!;
        output[o++] = acc;
      }
    }
    // keep the newest `hist` samples for the next call
    buf.copyWithin(0, count, count + hist);
    return count * RESAMPLE_FACTOR;
  }

  reset(): void {
    this.buf.fill(0);
  }
}

/** 48 kHz → 8 kHz. Input lengths must be multiples of 6. */
export class Downsampler48to8 {
  private buf: Float64Array;
  private readonly hist = TAPS - 1;

  constructor(maxInputSamples = 2880) {
    this.buf = new Float64Array(this.hist + maxInputSamples);
  }

  process(input: Int16Array | Float32Array, inputOffset: number, count: number, output: Float32Array, outputOffset = 0): number {
    if (count % RESAMPLE_FACTOR !== 0) throw new RangeError(`Downsampler48to8: ${count} is not a multiple of 6`);
    if (this.buf.length < this.hist + count) {
      const bigger = new Float64Array(this.hist + count);
      bigger.set(this.buf.subarray(0, this.hist));
      this.buf = bigger;
    }
    const buf = this.buf;
    const hist = this.hist;
    for (let i = 0; i < count; i++) buf[hist + i] = input[inputOffset + i]!;
    const outCount = count / RESAMPLE_FACTOR;
    for (let m = 0; m < outCount; m++) {
      const newest = hist + m * RESAMPLE_FACTOR + RESAMPLE_FACTOR - 1;
      let acc = 0;
      for (let j = 0; j < TAPS; j++) acc += DOWN_TAPS[j]! * buf[newest - j]!;
      output[outputOffset + m] = acc;
    }
    buf.copyWithin(0, count, count + hist);
    return outCount;
  }

  reset(): void {
    this.buf.fill(0);
  }
}

/** Float → Int16 with saturation (no wrap-around). */
export function floatToInt16(src: Float32Array, srcOffset: number, count: number, dst: Int16Array, dstOffset = 0): void {
  for (let i = 0; i < count; i++) {
    const v = Math.round(src[srcOffset + i]!);
    dst[dstOffset + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}

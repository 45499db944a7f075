/**
 * Rational resampling by an integer factor between a room's rate and 48 kHz: 8 kHz (G.711,
 * factor 6) and 16 kHz (G.722, factor 3). Each rate has one windowed-sinc low-pass (Kaiser
 * window) at 48 kHz, used polyphase: the upsampler evaluates only the taps that meet non-zero
 * input, the downsampler only the outputs it keeps. History is kept across calls, so
 * consecutive frames join without clicks.
 *
 * 8 kHz filter: cutoff 3.9 kHz, 192 taps (32 per phase), Kaiser beta 8 (about 80 dB stopband);
 * passband to about 3.3 kHz, stopband from about 4.5 kHz: the telephone band (300-3400 Hz)
 * passes, and images/aliases around 4 kHz are suppressed.
 *
 * 16 kHz filter: cutoff 7.3 kHz, 192 taps (64 per phase), Kaiser beta 8; passband to about
 * 6.7 kHz, stopband from about 7.9 kHz: G.722's band (50-7000 Hz) passes, images and aliases
 * around 8 kHz are suppressed. Twice the multiply-adds of the 8 kHz filter per 48 kHz sample.
 */
const HIGH_RATE = 48000;

interface LowPassDesign {
  /** 48 kHz / room rate. */
  factor: number;
  tapsPerPhase: number;
  cutoffHz: number;
  kaiserBeta: number;
}

/** A prototype low-pass at 48 kHz and its polyphase split, built once per design. */
interface PolyphaseFilter {
  factor: number;
  tapsPerPhase: number;
  /** Phase p holds taps h[p + factor·k], scaled by factor (interpolation gain). */
  upPhases: Float64Array[];
  /** The whole prototype, for decimation. */
  taps: Float64Array;
}

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

/** Prototype low-pass at 48 kHz, unity DC gain, split into phases. */
function designFilter(d: LowPassDesign): PolyphaseFilter {
  const n = d.tapsPerPhase * d.factor;
  const h = new Float64Array(n);
  const fc = d.cutoffHz / HIGH_RATE; // cycles per sample
  const mid = (n - 1) / 2;
  const i0b = besselI0(d.kaiserBeta);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = i - mid;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = t / mid;
    const w = besselI0(d.kaiserBeta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b;
    h[i] = sinc * w;
    sum += h[i]!;
  }
  for (let i = 0; i < n; i++) h[i]! /= sum;
  const upPhases = Array.from({ length: d.factor }, (_, p) => {
    const ph = new Float64Array(d.tapsPerPhase);
    for (let k = 0; k < d.tapsPerPhase; k++) ph[k] = h[p + d.factor * k]! * d.factor;
    return ph;
  });
  return { factor: d.factor, tapsPerPhase: d.tapsPerPhase, upPhases, taps: h };
}

const FILTER_8K = designFilter({ factor: 6, tapsPerPhase: 32, cutoffHz: 3900, kaiserBeta: 8 });
const FILTER_16K = designFilter({ factor: 3, tapsPerPhase: 64, cutoffHz: 7300, kaiserBeta: 8 });

/** 48 kHz / 8 kHz. */
export const RESAMPLE_FACTOR = FILTER_8K.factor;
/** Group delay of either direction of the 8 kHz resampler, in 48 kHz samples. */
export const RESAMPLER_DELAY_48K = (FILTER_8K.taps.length - 1) / 2;
/** Group delay of either direction of the 16 kHz resampler, in 48 kHz samples. */
export const RESAMPLER16_DELAY_48K = (FILTER_16K.taps.length - 1) / 2;

/** Room rate → 48 kHz (factor × as many samples out as in). */
class PolyphaseUpsampler {
  /** Last tapsPerPhase-1 input samples, then room for the frame being processed. */
  private buf: Float64Array;
  private readonly hist: number;

  constructor(private readonly filter: PolyphaseFilter, maxInputSamples: number) {
    this.hist = filter.tapsPerPhase - 1;
    this.buf = new Float64Array(this.hist + maxInputSamples);
  }

  /** Resample `count` samples of `input` into `output` (factor × count samples). */
  process(input: Int16Array | Float32Array, inputOffset: number, count: number, output: Float32Array, outputOffset = 0): number {
    if (this.buf.length < this.hist + count) {
      const bigger = new Float64Array(this.hist + count);
      bigger.set(this.buf.subarray(0, this.hist));
      this.buf = bigger;
    }
    const buf = this.buf;
    const hist = this.hist;
    const { factor, tapsPerPhase, upPhases } = this.filter;
    for (let i = 0; i < count; i++) buf[hist + i] = input[inputOffset + i]!;
    let o = outputOffset;
    for (let m = 0; m < count; m++) {
      const newest = hist + m; // index of x[m]
      for (let p = 0; p < factor; p++) {
        const ph = upPhases[p]!;
        let acc = 0;
        for (let k = 0; k < tapsPerPhase; k++) acc += ph[k]! * buf[newest - k]!;
        output[o++] = acc;
      }
    }
    // keep the newest `hist` samples for the next call
    buf.copyWithin(0, count, count + hist);
    return count * factor;
  }

  reset(): void {
    this.buf.fill(0);
  }
}

/** 48 kHz → room rate. Input lengths must be multiples of the factor. */
class PolyphaseDownsampler {
  private buf: Float64Array;
  private readonly hist: number;

  constructor(private readonly filter: PolyphaseFilter, maxInputSamples: number) {
    if (filter.taps.length % 2 !== 0) throw new RangeError('downsampler: the symmetric sum needs an even tap count');
    this.hist = filter.taps.length - 1;
    this.buf = new Float64Array(this.hist + maxInputSamples);
  }

  process(input: Int16Array | Float32Array, inputOffset: number, count: number, output: Float32Array, outputOffset = 0): number {
    const { factor, taps } = this.filter;
    if (count % factor !== 0) throw new RangeError(`downsampler: ${count} is not a multiple of ${factor}`);
    if (this.buf.length < this.hist + count) {
      const bigger = new Float64Array(this.hist + count);
      bigger.set(this.buf.subarray(0, this.hist));
      this.buf = bigger;
    }
    const buf = this.buf;
    const hist = this.hist;
    const n = taps.length;
    for (let i = 0; i < count; i++) buf[hist + i] = input[inputOffset + i]!;
    const outCount = count / factor;
    // linear phase: taps[j] = taps[n-1-j], so each pair of samples shares one multiply
    const half = n >> 1;
    for (let m = 0; m < outCount; m++) {
      const newest = hist + m * factor + factor - 1;
      const oldest = newest - (n - 1);
      let acc = 0;
      for (let j = 0; j < half; j++) acc += taps[j]! * (buf[newest - j]! + buf[oldest + j]!);
      output[outputOffset + m] = acc;
    }
    buf.copyWithin(0, count, count + hist);
    return outCount;
  }

  reset(): void {
    this.buf.fill(0);
  }
}

/** 8 kHz → 48 kHz. */
export class Upsampler8to48 extends PolyphaseUpsampler {
  constructor(maxInputSamples = 480) {
    super(FILTER_8K, maxInputSamples);
  }
}

/** 48 kHz → 8 kHz. Input lengths must be multiples of 6. */
export class Downsampler48to8 extends PolyphaseDownsampler {
  constructor(maxInputSamples = 2880) {
    super(FILTER_8K, maxInputSamples);
  }
}

/** 16 kHz → 48 kHz. */
export class Upsampler16to48 extends PolyphaseUpsampler {
  constructor(maxInputSamples = 960) {
    super(FILTER_16K, maxInputSamples);
  }
}

/** 48 kHz → 16 kHz. Input lengths must be multiples of 3. */
export class Downsampler48to16 extends PolyphaseDownsampler {
  constructor(maxInputSamples = 2880) {
    super(FILTER_16K, maxInputSamples);
  }
}

/** Float → Int16 with saturation (no wrap-around). */
export function floatToInt16(src: Float32Array, srcOffset: number, count: number, dst: Int16Array, dstOffset = 0): void {
  for (let i = 0; i < count; i++) {
    const v = Math.round(src[srcOffset + i]!);
    dst[dstOffset + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}

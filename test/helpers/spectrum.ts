// Signal analysis for interop tests: which tones did a peer really hear?
//
// All functions take mono PCM, either Int16Array (full scale 32768) or Float32Array
// (full scale 1.0). Levels are linear amplitudes relative to full scale (a full-scale
// sine has level 1.0, rms 0.707).
//
// Method: pick the loudest stretch of the signal (so leading silence, ringing gaps or a
// late-starting stream do not dilute it), apply a Hann window, zero-pad 4x, FFT, and refine
// each peak by parabolic interpolation over the log magnitude of the three bins around it.

export type Pcm = Int16Array | Float32Array;

export interface SpectralPeak {
  /** Frequency in Hz. */
  hz: number;
  /** Amplitude of the tone, linear, 1.0 = full-scale sine. */
  level: number;
}

/** Longest stretch analysed, in samples (about 1.4 s at 48 kHz, 8 s at 8 kHz). */
const MAX_ANALYSIS_SAMPLES = 1 << 16;
/** Zero-padding factor: finer bins make the parabolic refinement more exact. */
const ZERO_PAD = 4;
/** Peaks below this frequency (DC offset, rumble) are ignored. */
const MIN_HZ = 20;
/** Blocks quieter than this fraction of the loudest block count as silence. */
const SILENCE_FRACTION = 0.1;

/** Root mean square of the signal, relative to full scale (0 for empty input). */
export function rms(pcm: Pcm): number {
  if (pcm.length === 0) return 0;
  const scale = fullScale(pcm);
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) {
    const x = pcm[i]! / scale;
    sum += x * x;
  }
  return Math.sqrt(sum / pcm.length);
}

/** The frequency (Hz) of the strongest tone; NaN when the signal is silent or too short. */
export function dominantFrequency(pcm: Pcm, sampleRate: number): number {
  const [peak] = spectralPeaks(pcm, sampleRate, 1);
  return peak ? peak.hz : Number.NaN;
}

/**
 * The `count` strongest distinct tones, strongest first. Two peaks are distinct when they are
 * further apart than the Hann main lobe (4 bins of the unpadded analysis window).
 */
export function spectralPeaks(pcm: Pcm, sampleRate: number, count: number): SpectralPeak[] {
  const segment = loudestSegment(toFloat(pcm), sampleRate);
  if (segment.length < 64 || rms(segment) === 0) return [];
  const spectrum = magnitudeSpectrum(segment);
  const size = spectrum.length * 2; // FFT size
  const hzPerBin = sampleRate / size;
  const minBin = Math.max(1, Math.ceil(MIN_HZ / hzPerBin));
  const mainLobeBins = (4 * size) / segment.length; // 4 unpadded bins, in padded bins
  const ampScale = 2 / windowSum(segment.length);

  const candidates: SpectralPeak[] = [];
  for (let k = minBin; k < spectrum.length - 1; k++) {
    const m = spectrum[k]!;
    if (m > spectrum[k - 1]! && m >= spectrum[k + 1]!) {
      const { offset, magnitude } = refinePeak(spectrum[k - 1]!, m, spectrum[k + 1]!);
      candidates.push({ hz: (k + offset) * hzPerBin, level: magnitude * ampScale });
    }
  }
  candidates.sort((a, b) => b.level - a.level);

  const chosen: SpectralPeak[] = [];
  const minSpacingHz = mainLobeBins * hzPerBin;
  for (const c of candidates) {
    if (chosen.length >= count) break;
    if (chosen.every((p) => Math.abs(p.hz - c.hz) > minSpacingHz)) chosen.push(c);
  }
  return chosen;
}

function fullScale(pcm: Pcm): number {
  return pcm instanceof Int16Array ? 32768 : 1;
}

function toFloat(pcm: Pcm): Float32Array {
  if (pcm instanceof Float32Array) return pcm;
  const out = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = pcm[i]! / 32768;
  return out;
}

/**
 * The stretch to analyse: leading and trailing silence trimmed (10 ms blocks below
 * SILENCE_FRACTION of the loudest block), then, if still too long, the loudest
 * MAX_ANALYSIS_SAMPLES window within it.
 */
function loudestSegment(x: Float32Array, sampleRate: number): Float32Array {
  const block = Math.max(1, Math.round(sampleRate / 100));
  const blocks = Math.floor(x.length / block);
  if (blocks === 0) return x;
  const energy = new Float64Array(blocks);
  let loudest = 0;
  for (let b = 0; b < blocks; b++) {
    let e = 0;
    for (let i = b * block; i < (b + 1) * block; i++) e += x[i]! * x[i]!;
    energy[b] = e;
    if (e > loudest) loudest = e;
  }
  if (loudest === 0) return x.subarray(0, 0);
  const threshold = loudest * SILENCE_FRACTION * SILENCE_FRACTION; // energy, so squared
  let first = 0;
  while (energy[first]! < threshold) first++;
  let last = blocks - 1;
  while (energy[last]! < threshold) last--;
  const span = last - first + 1;
  const windowBlocks = Math.floor(MAX_ANALYSIS_SAMPLES / block);
  if (span <= windowBlocks) return x.subarray(first * block, (last + 1) * block);

  // Slide a window of windowBlocks over the active span; keep the one with most energy.
  let sum = 0;
  for (let b = first; b < first + windowBlocks; b++) sum += energy[b]!;
  let best = sum;
  let bestStart = first;
  for (let b = first + windowBlocks; b <= last; b++) {
    sum += energy[b]! - energy[b - windowBlocks]!;
    if (sum > best) {
      best = sum;
      bestStart = b - windowBlocks + 1;
    }
  }
  return x.subarray(bestStart * block, (bestStart + windowBlocks) * block);
}

function hann(i: number, n: number): number {
  return 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
}

function windowSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += hann(i, n);
  return s;
}

/** Magnitudes of bins 0 .. size/2-1 of the Hann-windowed, zero-padded segment. */
function magnitudeSpectrum(segment: Float32Array): Float64Array {
  let size = 1;
  while (size < segment.length * ZERO_PAD) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < segment.length; i++) re[i] = segment[i]! * hann(i, segment.length);
  fft(re, im);
  const mag = new Float64Array(size / 2);
  for (let k = 0; k < size / 2; k++) mag[k] = Math.hypot(re[k]!, im[k]!);
  return mag;
}

/**
 * Parabola through the log magnitudes of a peak bin and its neighbours: the vertex gives the
 * fractional bin offset (-0.5 .. 0.5) and the interpolated peak magnitude.
 */
function refinePeak(left: number, centre: number, right: number): { offset: number; magnitude: number } {
  const tiny = 1e-30;
  const a = Math.log(left + tiny);
  const b = Math.log(centre + tiny);
  const c = Math.log(right + tiny);
  const denom = a - 2 * b + c;
  if (denom === 0) return { offset: 0, magnitude: centre };
  const offset = (0.5 * (a - c)) / denom;
  return { offset, magnitude: Math.exp(b - 0.25 * (a - c) * offset) };
}

/** In-place iterative radix-2 complex FFT; length must be a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wRe = Math.cos(angle);
    const wIm = Math.sin(angle);
    for (let start = 0; start < n; start += len) {
      let curRe = 1;
      let curIm = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = start + k;
        const b = a + len / 2;
        const tRe = re[b]! * curRe - im[b]! * curIm;
        const tIm = re[b]! * curIm + im[b]! * curRe;
        re[b] = re[a]! - tRe;
        im[b] = im[a]! - tIm;
        re[a] = re[a]! + tRe;
        im[a] = im[a]! + tIm;
        const next = curRe * wRe - curIm * wIm;
        curIm = curRe * wIm + curIm * wRe;
        curRe = next;
      }
    }
  }
}

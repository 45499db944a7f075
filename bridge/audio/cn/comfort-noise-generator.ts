import type { ComfortNoisePayload } from './comfort-noise-payload.ts';

/**
 * Comfort noise synthesis for RFC 3389 (after the example of its Appendix / G.711 App. II):
 * white Gaussian excitation through the all-pole filter 1 / A(z) given by the reflection
 * coefficients (RFC 3389 3.2; none = white noise), scaled so the output RMS is the noise level
 * (RFC 3389 3.1). For an all-pole model the output power is the excitation power divided by
 * Π(1 - k_i²) (the Levinson prediction-error relation), which sets the excitation gain.
 * A new SID frame changes the parameters; the filter memory carries on (no click).
 */
export class ComfortNoiseGenerator {
  private a: Float64Array = new Float64Array(0);
  /** Past outputs y[n-1..n-M] (index 0 = newest). */
  private mem: Float64Array = new Float64Array(0);
  private gain = 0;
  private seed: number;
  private spare: number | undefined;

  constructor(seed = 0x9e3779b9) {
    this.seed = seed >>> 0 || 1;
  }

  /** Take the level and spectrum of a SID frame. */
  update(sid: ComfortNoisePayload): void {
    const ks = tameModel(sid.reflectionCoefficients);
    const a = reflectionToPredictor(ks);
    const fresh = this.a.length === 0 && a.length > 0;
    if (a.length !== this.a.length) {
      const mem = new Float64Array(a.length);
      mem.set(this.mem.subarray(0, Math.min(a.length, this.mem.length)));
      this.mem = mem;
    }
    this.a = a;
    this.gain = sid.rms * Math.sqrt(residualEnergy(ks));
    // a filter started from rest needs a while to reach its level: run it in first
    if (fresh) this.generate(new Int16Array(WARM_UP_SAMPLES));
  }

  /** Fill `out[0..n)` with noise. */
  generate(out: Int16Array, n = out.length): void {
    const a = this.a;
    const mem = this.mem;
    const m = a.length;
    for (let i = 0; i < n; i++) {
      let y = this.gain * this.gaussian();
      for (let j = 0; j < m; j++) y -= a[j]! * mem[j]!; // y[n] = e[n] - Σ a_j y[n-j]
      for (let j = m - 1; j > 0; j--) mem[j] = mem[j - 1]!;
      if (m > 0) mem[0] = y;
      const r = Math.round(y);
      out[i] = r > 32767 ? 32767 : r < -32768 ? -32768 : r;
    }
  }

  /** Standard normal deviate (Box-Muller on a xorshift32 stream). */
  private gaussian(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u1 = (this.next() + 1) / 4294967297;
    const u2 = this.next() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  private next(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}

/** Samples run through a newly shaped filter before its output is used. */
const WARM_UP_SAMPLES = 480;
/**
 * Smallest residual energy Π(1 - k_i²) we synthesise (prediction gain ≤ 30 dB). A model from the
 * network with many coefficients near ±1 is legal but has poles so close to the unit circle that
 * its output would take seconds to build up (or drown in rounding): its coefficients are scaled
 * down (still a stable, similar spectral tilt) until the bound holds.
 */
const MIN_RESIDUAL_ENERGY = 1e-3;

function residualEnergy(ks: readonly number[]): number {
  let e = 1;
  for (const k of ks) e *= 1 - k * k;
  return e;
}

function tameModel(ks: readonly number[]): readonly number[] {
  let out = ks;
  while (out.length > 0 && residualEnergy(out) < MIN_RESIDUAL_ENERGY) out = out.map((k) => k * 0.9);
  return out;
}

/** Step-up recursion: reflection coefficients k_1..k_M → predictor a_1..a_M of A(z) = 1 + Σ a_i z^-i. */
export function reflectionToPredictor(ks: readonly number[]): Float64Array {
  const a = new Float64Array(ks.length);
  const prev = new Float64Array(ks.length);
  for (let m = 0; m < ks.length; m++) {
    const k = ks[m]!;
    prev.set(a.subarray(0, m));
    for (let i = 0; i < m; i++) a[i] = prev[i]! + k * prev[m - 1 - i]!;
    a[m] = k;
  }
  return a;
}

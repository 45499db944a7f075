import { ComfortNoisePayload, rmsToDbov } from './comfort-noise-payload.ts';

/**
 * The SID frame describing a stretch of background noise (RFC 3389 3): its RMS level in -dBov
 * and, for `order` > 0, the reflection coefficients of an all-pole model from the
 * autocorrelation by the Levinson-Durbin recursion (the same sign convention as
 * ComfortNoiseGenerator: k_1 = -R(1)/R(0)). A slightly lag-windowed autocorrelation (white
 * noise correction of 1e-4·R(0)) keeps the model stable and well conditioned.
 */
export function describeNoise(pcm: Int16Array, order = 0): ComfortNoisePayload {
  const n = pcm.length;
  if (n === 0) return new ComfortNoisePayload(127);
  let energy = 0;
  for (let i = 0; i < n; i++) energy += pcm[i]! * pcm[i]!;
  const level = rmsToDbov(Math.sqrt(energy / n));
  if (order <= 0 || energy === 0) return new ComfortNoisePayload(level);
  const r = new Float64Array(order + 1);
  for (let lag = 0; lag <= order; lag++) {
    let s = 0;
    for (let i = lag; i < n; i++) s += pcm[i]! * pcm[i - lag]!;
    r[lag] = s;
  }
  r[0] = r[0]! * (1 + 1e-4);
  return new ComfortNoisePayload(level, levinsonReflection(r, order));
}

/** Levinson-Durbin: autocorrelation r[0..order] → reflection coefficients k_1..k_order. */
export function levinsonReflection(r: Float64Array, order: number): number[] {
  const a = new Float64Array(order);
  const prev = new Float64Array(order);
  const ks: number[] = [];
  let err = r[0]!;
  for (let m = 0; m < order; m++) {
    let acc = r[m + 1]!;
    for (let i = 0; i < m; i++) acc += a[i]! * r[m - i]!;
    const k = err > 0 ? -acc / err : 0;
    ks.push(k);
    prev.set(a.subarray(0, m));
    for (let i = 0; i < m; i++) a[i] = prev[i]! + k * prev[m - 1 - i]!;
    a[m] = k;
    err *= 1 - k * k;
  }
  return ks;
}

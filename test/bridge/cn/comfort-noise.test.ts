import { describe, expect, it } from 'vitest';
import {
  ComfortNoiseDecodeError, ComfortNoiseGenerator, ComfortNoisePayload, dbovToRms, describeNoise, rmsToDbov,
} from '../../../bridge/audio/cn/index.ts';

function rms16(pcm: Int16Array): number {
  let s = 0;
  for (const v of pcm) s += v * v;
  return Math.sqrt(s / pcm.length);
}

/** Energy below / above a quarter of the sampling rate (first-difference vs first-sum split). */
function lowHighRatio(pcm: Int16Array): number {
  let lo = 0;
  let hi = 0;
  for (let i = 1; i < pcm.length; i++) {
    lo += (pcm[i]! + pcm[i - 1]!) ** 2;
    hi += (pcm[i]! - pcm[i - 1]!) ** 2;
  }
  return lo / hi;
}

describe('RFC 3389 CN payload', () => {
  it('encodes the noise level in the low 7 bits of the first octet, MSB 0 (3.1)', () => {
    expect([...new ComfortNoisePayload(40).encode()]).toEqual([40]);
    expect([...new ComfortNoisePayload(127).encode()]).toEqual([127]);
    expect(new ComfortNoisePayload(200).level).toBe(127); // clamped to the field
  });

  it('decodes a level-only payload (order 0) and ignores the unused MSB', () => {
    const p = ComfortNoisePayload.decode(Buffer.from([0x80 | 64]));
    expect(p.level).toBe(64);
    expect(p.reflectionCoefficients).toEqual([]);
  });

  it('round-trips reflection coefficients through their 8-bit quantisation (3.2), order from the length', () => {
    const ks = [-0.9, -0.5, 0, 0.25, 0.7, 0.99];
    const sid = new ComfortNoisePayload(55, ks);
    const wire = sid.encode();
    expect(wire.length).toBe(1 + ks.length);
    expect(wire[3]).toBe(127); // k = 0
    const back = ComfortNoisePayload.decode(wire);
    expect(back.level).toBe(55);
    back.reflectionCoefficients.forEach((k, i) => expect(Math.abs(k - ks[i]!)).toBeLessThanOrEqual(1 / 256 + 1e-9));
    expect([...back.encode()]).toEqual([...wire]); // byte for byte
  });

  it('reads N = 255 as the largest stable coefficient, never k = 1', () => {
    const p = ComfortNoisePayload.decode(Buffer.from([30, 255, 0]));
    expect(p.reflectionCoefficients[0]).toBeLessThan(1);
    expect(p.reflectionCoefficients[1]).toBeGreaterThan(-1);
  });

  it('rejects an empty payload and an absurd model order with typed errors', () => {
    expect(() => ComfortNoisePayload.decode(Buffer.alloc(0))).toThrow(ComfortNoiseDecodeError);
    try {
      ComfortNoisePayload.decode(Buffer.alloc(40, 127));
      expect.unreachable();
    } catch (err) {
      expect((err as ComfortNoiseDecodeError).code).toBe('ERR_CN_ORDER');
    }
  });

  it('maps -dBov to a 16-bit RMS and back (0 dBov = full scale)', () => {
    expect(dbovToRms(0)).toBeCloseTo(32767, 0);
    expect(dbovToRms(20)).toBeCloseTo(3276.7, 0);
    expect(rmsToDbov(dbovToRms(47))).toBe(47);
    expect(rmsToDbov(0)).toBe(127);
  });
});

describe('comfort noise synthesis and analysis', () => {
  it('white noise comes out at the SID level (±1 dB)', () => {
    for (const level of [30, 50, 70]) {
      const g = new ComfortNoiseGenerator();
      g.update(new ComfortNoisePayload(level));
      const out = new Int16Array(16000);
      g.generate(out);
      const measured = -20 * Math.log10(rms16(out) / 32767);
      expect(Math.abs(measured - level)).toBeLessThan(1);
    }
  });

  it('reflection coefficients shape the spectrum and keep the level; the analyser recovers both', () => {
    const sid = new ComfortNoisePayload(45, [-0.8, 0.3]); // low-pass model (k1 < 0)
    const g = new ComfortNoiseGenerator(12345);
    g.update(sid);
    const out = new Int16Array(32000);
    g.generate(out);
    expect(Math.abs(-20 * Math.log10(rms16(out) / 32767) - 45)).toBeLessThan(1);
    expect(lowHighRatio(out)).toBeGreaterThan(4); // mostly low frequencies
    const white = new ComfortNoiseGenerator(12345);
    white.update(new ComfortNoisePayload(45));
    const w = new Int16Array(32000);
    white.generate(w);
    expect(lowHighRatio(w)).toBeGreaterThan(0.8);
    expect(lowHighRatio(w)).toBeLessThan(1.25);
    const seen = describeNoise(out, 2);
    expect(Math.abs(seen.level - 45)).toBeLessThanOrEqual(1);
    expect(seen.reflectionCoefficients[0]).toBeCloseTo(-0.8, 1);
    expect(seen.reflectionCoefficients[1]).toBeCloseTo(0.3, 1);
  });

  it('describes digital silence as -127 dBov', () => {
    expect(describeNoise(new Int16Array(160)).level).toBe(127);
  });
});

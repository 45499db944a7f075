// G.722 checked against ffmpeg's adpcm_g722 (issue #4 acceptance 1): ffmpeg's encoder
// (trellis off, the default) and decoder are independent implementations of the same
// Recommendation, so byte-for-byte and sample-for-sample agreement is the test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder, type G722Mode } from '../../bridge/audio/g722/index.ts';
import { ILB } from '../../bridge/audio/g722/tables.ts';
import { seededRandom } from '../helpers/seeded-random.ts';

const RATE = 16000;
const N = 2 * RATE; // 2 s per signal
const dir = mkdtempSync(join(tmpdir(), 'g722-ffmpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function signal(f: (i: number) => number): Int16Array {
  const out = new Int16Array(N);
  for (let i = 0; i < N; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(f(i))));
  return out;
}

const dbfs = (db: number) => 32767 * 10 ** (db / 20);
const tone = (hz: number, db: number) => signal((i) => dbfs(db) * Math.sin((2 * Math.PI * hz * i) / RATE));

const SIGNALS: [string, Int16Array][] = [
  ['silence', new Int16Array(N)],
  ['300 Hz at -30 dBFS', tone(300, -30)],
  ['1 kHz at -6 dBFS', tone(1000, -6)],
  ['1 kHz at 0 dBFS', tone(1000, 0)],
  ['3.4 kHz at -20 dBFS', tone(3400, -20)],
  ['6 kHz at -12 dBFS (higher sub-band)', tone(6000, -12)],
  ['7.5 kHz at -3 dBFS', tone(7500, -3)],
  ['sweep 50 Hz-7.9 kHz at -6 dBFS', signal((i) => {
    const t = i / RATE;
    const f0 = 50, f1 = 7900, T = N / RATE; // linear chirp: phase = 2π(f0 t + (f1-f0) t² / 2T)
    return dbfs(-6) * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * T)));
  })],
  ['white noise at -10 dBFS rms', (() => {
    const r = seededRandom(1);
    return signal(() => dbfs(-10) * Math.sqrt(3) * (2 * r() - 1));
  })()],
  ['full-scale noise and square wave (overload)', (() => {
    const r = seededRandom(2);
    return signal((i) => (i < N / 2 ? 65536 * (r() - 0.5) : ((i >> 5) & 1 ? 32767 : -32768)));
  })()],
  ['speech-like: 120-180 Hz voiced harmonics with formants, syllable envelope, fricative noise', (() => {
    const r = seededRandom(3);
    let phase = 0;
    return signal((i) => {
      const t = i / RATE;
      const f0 = 150 + 30 * Math.sin(2 * Math.PI * 1.3 * t);
      phase += (2 * Math.PI * f0) / RATE;
      const envelope = Math.max(0, Math.sin(2 * Math.PI * 3 * t)) ** 2;
      let voiced = 0;
      for (let k = 1; k * f0 < 4000; k++) {
        const f = k * f0;
        const formants = 1 / (1 + ((f - 700) / 150) ** 2) + 0.5 / (1 + ((f - 1200) / 200) ** 2) + 0.3 / (1 + ((f - 2600) / 300) ** 2);
        voiced += formants * Math.sin(k * phase);
      }
      const fricative = Math.sin(2 * Math.PI * 3 * t) < -0.7 ? 2000 * (2 * r() - 1) : 0;
      return 9000 * envelope * voiced + fricative;
    });
  })()],
];

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ffmpegEncode(pcm: Int16Array, name: string): Uint8Array {
  const input = join(dir, `${name}.raw`);
  const output = join(dir, `${name}.g722`);
  writeFileSync(input, pcm);
  ffmpeg(['-f', 's16le', '-ar', '16000', '-ac', '1', '-i', input, '-c:a', 'adpcm_g722', '-f', 'g722', output]);
  return new Uint8Array(readFileSync(output));
}

/** ffmpeg's decoder; `bits_per_codeword` 8/7/6 selects G.722 mode 1/2/3. */
function ffmpegDecode(g722: Uint8Array, name: string, mode: G722Mode): Int16Array {
  const input = join(dir, `${name}.g722`);
  const output = join(dir, `${name}.m${mode}.raw`);
  writeFileSync(input, g722);
  ffmpeg(['-bits_per_codeword', String(9 - mode), '-f', 'g722', '-i', input, '-f', 's16le', '-ac', '1', output]);
  const b = readFileSync(output);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** Ours, 20 ms (320 samples) at a time, as the media path calls it. */
function ourEncode(pcm: Int16Array): Uint8Array {
  const enc = new G722Encoder();
  const out = new Uint8Array(pcm.length / 2);
  for (let o = 0; o < pcm.length; o += 320) enc.encode(pcm, o, Math.min(320, pcm.length - o), out, o / 2);
  return out;
}

function ourDecode(g722: Uint8Array, mode: G722Mode = 1): Int16Array {
  const dec = new G722Decoder(mode);
  const out = new Int16Array(g722.length * 2);
  for (let o = 0; o < g722.length; o += 160) dec.decode(g722.subarray(o, o + 160), out, o * 2);
  return out;
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) d++;
  return d;
}

/** SNR (dB) of `x` against its least-squares fit by a sinusoid of `hz` (phase and delay free). */
function sineSnrDb(x: Int16Array, hz: number): number {
  let ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
  for (let i = 0; i < x.length; i++) {
    const s = Math.sin((2 * Math.PI * hz * i) / RATE), c = Math.cos((2 * Math.PI * hz * i) / RATE);
    ss += s * s; cc += c * c; sc += s * c; xs += x[i]! * s; xc += x[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
  let sig = 0, err = 0;
  for (let i = 0; i < x.length; i++) {
    const fit = a * Math.sin((2 * Math.PI * hz * i) / RATE) + b * Math.cos((2 * Math.PI * hz * i) / RATE);
    sig += fit * fit;
    err += (x[i]! - fit) ** 2;
  }
  return 10 * Math.log10(sig / err);
}

describe('G.722 against ffmpeg adpcm_g722', () => {
  it.each(SIGNALS.map(([label], i) => [label, i] as const))('%s: our encoder is bit-exact with ffmpeg\'s; ours and ffmpeg\'s decoders agree on every sample in modes 1, 2 and 3', (label, i) => {
    const pcm = SIGNALS[i]![1];
    const name = `s${i}`;
    const theirs = ffmpegEncode(pcm, name);
    const ours = ourEncode(pcm);
    const byteDiffs = differences(ours, theirs);
    const sampleDiffs: number[] = [];
    for (const mode of [1, 2, 3] as const) sampleDiffs.push(differences(ourDecode(theirs, mode), ffmpegDecode(theirs, name, mode)));
    console.info(`G.722 vs ffmpeg, ${label}: ${ours.length} octets, ${byteDiffs} differ; decoded ${pcm.length} samples, differing in mode 1/2/3: ${sampleDiffs.join('/')}`);
    expect(theirs.length).toBe(pcm.length / 2);
    expect(byteDiffs).toBe(0);
    expect(sampleDiffs).toEqual([0, 0, 0]);
  });

  it('fuzz: random octets decode identically in ours and ffmpeg\'s, modes 1-3', () => {
    const r = seededRandom(4);
    const bytes = new Uint8Array(32000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (r() * 256) | 0;
    const diffs = ([1, 2, 3] as const).map((mode) => differences(ourDecode(bytes, mode), ffmpegDecode(bytes, 'fuzz', mode)));
    console.info(`G.722 decoders on ${bytes.length} random octets, differing samples in mode 1/2/3: ${diffs.join('/')}`);
    expect(diffs).toEqual([0, 0, 0]);
  });

  it('sustained largest codewords (overload): any difference from ffmpeg lies within 20 ms of clipped output', () => {
    // Runs of the largest positive and negative lower-band codes drive the predictor into overload.
    // There the zero-section sum SZL (G.722 6.2.1.5 FILTEZ) leaves 16 bits: the Recommendation's
    // 16-bit arithmetic (and ITU-T's reference C code) saturates each partial sum, ffmpeg adds in
    // 32 bits, so the two decoders part. Ours keeps the Recommendation's saturation.
    const bytes = new Uint8Array(16000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i >> 6) & 1 ? 0x20 : 0xc4;
    const ours = ourDecode(bytes), theirs = ffmpegDecode(bytes, 'overload', 1);
    const clipped = (i: number) => theirs[i] === 32767 || theirs[i] === -32768 || ours[i] === 32767 || ours[i] === -32768;
    let differing = 0, outsideOverload = 0, firstDiff = -1;
    for (let i = 0; i < ours.length; i++) {
      if (ours[i] === theirs[i]) continue;
      differing++;
      if (firstDiff < 0) firstDiff = i;
      let near = false;
      for (let j = Math.max(0, i - 320); j < Math.min(ours.length, i + 320) && !near; j++) near = clipped(j);
      if (!near) outsideOverload++;
    }
    console.info(`G.722 overload run vs ffmpeg: ${differing} of ${ours.length} samples differ (first at ${firstDiff}); ${outsideOverload} of them away from clipped output`);
    expect(outsideOverload).toBe(0);
  });

  it('the codec passes a 1 kHz tone with SNR above 35 dB and keeps a 6 kHz tone (the higher sub-band) within 1 dB', () => {
    const one = ourDecode(ourEncode(tone(1000, -6))).subarray(1600);
    const snr1k = sineSnrDb(one, 1000);
    const six = ourDecode(ourEncode(tone(6000, -12))).subarray(1600);
    const snr6k = sineSnrDb(six, 6000);
    let e = 0;
    for (const v of six) e += v * v;
    const levelDb = 20 * Math.log10(Math.sqrt(e / six.length) / (dbfs(-12) / Math.SQRT2));
    console.info(`G.722 round trip: 1 kHz -6 dBFS SNR ${snr1k.toFixed(1)} dB; 6 kHz -12 dBFS SNR ${snr6k.toFixed(1)} dB, level ${levelDb.toFixed(2)} dB`);
    expect(snr1k).toBeGreaterThan(35);
    expect(snr6k).toBeGreaterThan(15);
    expect(Math.abs(levelDb)).toBeLessThan(1);
  });

  it('two streams keep separate state: interleaving encoders gives the same octets as encoding each alone', () => {
    const a = SIGNALS[2]![1], b = SIGNALS[10]![1];
    const ea = new G722Encoder(), eb = new G722Encoder();
    const oa = new Uint8Array(N / 2), ob = new Uint8Array(N / 2);
    for (let o = 0; o < N; o += 320) {
      ea.encode(a, o, 320, oa, o / 2);
      eb.encode(b, o, 320, ob, o / 2);
    }
    expect(differences(oa, ourEncode(a))).toBe(0);
    expect(differences(ob, ourEncode(b))).toBe(0);
  });

  it('rejects an odd sample count (one octet codes two samples)', () => {
    expect(() => new G722Encoder().encode(new Int16Array(3), 0, 3, new Uint8Array(2), 0)).toThrow(RangeError);
  });

  it('ILB (G.722 Table 19) is 2048 · 2^(i/32) rounded', () => {
    for (let i = 0; i < 32; i++) expect(ILB[i]).toBe(Math.round(2048 * 2 ** (i / 32)));
  });
});

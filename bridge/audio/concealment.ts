import type { AudioCodecName } from '../negotiated-media.ts';
import { g711Decode, g711Encode, type G711Law } from './g711.ts';
import { G722Concealer } from './g722-concealer.ts';

/**
 * The codec-agnostic concealment hook of a room codec: the playout feeds it every payload it
 * plays (`observe`) and asks it for an encoded payload standing in for a lost packet
 * (`conceal`). G.711 implements it with PitchRepeatConcealer on the decoded PCM; a G.722
 * wrapper does the same at 16 kHz with its own decoder/encoder.
 */
export interface PayloadConcealer {
  /** A received payload about to be played; may smooth its start in place after a loss. */
  observe(payload: Buffer): void;
  /** An encoded payload of `samples` (clock-rate units) replacing a lost packet. */
  conceal(samples: number): Buffer;
}

/**
 * Packet loss concealment on PCM after the ideas of ITU-T G.711 Appendix I (our own simplified
 * method, stated here): the pitch period of the last 20 ms is estimated by normalised
 * autocorrelation (lags 2.5-15 ms); the lost stretch repeats the last pitch period; the first
 * 10 ms are played at full level, then the level falls linearly by 20 % per 10 ms (silence after
 * 60 ms, as App. I attenuates long erasures); the first good samples after a loss are
 * cross-faded (4 ms) from the continued repetition.
 */
export class PitchRepeatConcealer {
  private readonly history: Int16Array;
  private readonly minLag: number;
  private readonly maxLag: number;
  private readonly window: number;
  private readonly fade: number;
  private readonly rate: number;
  private filled = 0;
  /** Position inside the repeated period, and samples concealed in this erasure. */
  private lag = 0;
  private phase = 0;
  private erased = 0;
  concealedSamples = 0;

  constructor(sampleRate: number) {
    this.rate = sampleRate;
    this.minLag = Math.round(sampleRate * 0.0025);
    this.maxLag = Math.round(sampleRate * 0.015);
    this.window = Math.round(sampleRate * 0.02);
    this.fade = Math.round(sampleRate * 0.004);
    this.history = new Int16Array(this.maxLag + this.window);
  }

  /** Good samples played; `pcm` is modified in place (cross-fade) when it follows a loss. */
  observe(pcm: Int16Array): void {
    if (this.erased > 0 && this.lag > 0) {
      const n = Math.min(this.fade, pcm.length);
      const g0 = this.gainAt(this.erased);
      for (let i = 0; i < n; i++) {
        const w = (i + 1) / (n + 1);
        const rep = this.repeated(i) * g0;
        pcm[i] = clip16(rep * (1 - w) + pcm[i]! * w);
      }
    }
    this.erased = 0;
    this.lag = 0;
    this.push(pcm);
  }

  /** Fill `out` with `n` concealed samples. */
  conceal(out: Int16Array, n: number): void {
    if (this.filled < this.history.length) {
      out.fill(0, 0, n); // not enough history to know a pitch: silence
      this.erased += n;
      this.concealedSamples += n;
      return;
    }
    if (this.lag === 0) {
      this.lag = this.estimateLag();
      this.phase = 0;
    }
    for (let i = 0; i < n; i++) out[i] = clip16(this.repeated(i) * this.gainAt(this.erased + i));
    this.phase = (this.phase + n) % this.lag;
    this.erased += n;
    this.concealedSamples += n;
  }

  /** Sample i after the current phase of the repeated last period. */
  private repeated(i: number): number {
    const h = this.history;
    return h[h.length - this.lag + ((this.phase + i) % this.lag)]!;
  }

  private gainAt(erasedSamples: number): number {
    const ms = (erasedSamples * 1000) / this.rate;
    if (ms < 10) return 1;
    return Math.max(0, 1 - ((ms - 10) / 10) * 0.2);
  }

  private estimateLag(): number {
    const h = this.history;
    const end = h.length;
    const w = this.window;
    let best = this.minLag;
    let bestScore = -Infinity;
    for (let lag = this.minLag; lag <= this.maxLag; lag++) {
      let xy = 0;
      let yy = 0;
      for (let i = end - w; i < end; i++) {
        const y = h[i - lag]!;
        xy += h[i]! * y;
        yy += y * y;
      }
      const score = yy > 0 ? xy / Math.sqrt(yy) : 0;
      if (score > bestScore) {
        bestScore = score;
        best = lag;
      }
    }
    return best;
  }

  private push(pcm: Int16Array): void {
    const h = this.history;
    if (pcm.length >= h.length) {
      h.set(pcm.subarray(pcm.length - h.length));
    } else {
      h.copyWithin(0, pcm.length);
      h.set(pcm, h.length - pcm.length);
    }
    this.filled = Math.min(h.length, this.filled + pcm.length);
  }
}

/** G.711 payload concealer: PitchRepeatConcealer at 8 kHz between decode and re-encode. */
export class G711Concealer implements PayloadConcealer {
  private readonly plc = new PitchRepeatConcealer(8000);
  private pcm = new Int16Array(480);

  constructor(private readonly law: G711Law) {}

  get concealedSamples(): number {
    return this.plc.concealedSamples;
  }

  observe(payload: Buffer): void {
    const pcm = this.buffer(payload.length);
    g711Decode(this.law, payload, pcm, 0);
    const afterLoss = this.plc.concealedSamples > 0 && this.lastWasLoss;
    this.plc.observe(pcm);
    // the cross-fade changed the first few samples: write them back into the payload
    if (afterLoss) g711Encode(this.law, pcm, 0, Math.min(pcm.length, 32), payload, 0);
    this.lastWasLoss = false;
  }

  conceal(samples: number): Buffer {
    const pcm = this.buffer(samples);
    this.plc.conceal(pcm, samples);
    const out = Buffer.allocUnsafe(samples);
    g711Encode(this.law, pcm, 0, samples, out, 0);
    this.lastWasLoss = true;
    return out;
  }

  private lastWasLoss = false;

  private buffer(n: number): Int16Array {
    if (this.pcm.length < n) this.pcm = new Int16Array(n);
    return this.pcm.subarray(0, n);
  }
}

function clip16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/**
 * The concealer of a transcoded room codec; undefined for Opus (passed through: the meeting's
 * receivers conceal).
 */
export function concealerFor(codec: AudioCodecName): PayloadConcealer | undefined {
  switch (codec) {
    case 'PCMU':
    case 'PCMA':
      return new G711Concealer(codec);
    case 'G722':
      return new G722Concealer();
    default:
      return undefined;
  }
}

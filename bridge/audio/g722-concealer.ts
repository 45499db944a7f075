import type { PayloadConcealer } from './concealment.ts';
import { PitchRepeatConcealer } from './concealment.ts';
import { G722Decoder, SubBand, encodeHigh, encodeLow } from './g722/index.ts';

/** Initial buffer size in octets (60 ms); grows for longer packets. */
const INITIAL_OCTETS = 480;

/**
 * G.722 packet-loss concealment in the sub-band domain, after the approach of ITU-T G.722
 * Appendix IV (our own simplified method, stated here):
 * - a mirror decoder decodes every payload the room's decoder decodes (received and concealed),
 *   so its ADPCM state is always the room decoder's, and records the reconstructed sub-band
 *   signals rL, rH (G.722 6.3.2.2, 6.3.3) before the receive QMF;
 * - a lost packet extrapolates both sub-bands by repeating their last pitch period (App. IV
 *   extrapolates the lower band from an LP residual and repeats the higher band; we repeat both
 *   signals directly with PitchRepeatConcealer at 8 kHz: full level 10 ms, then -20 %/10 ms,
 *   silence after 60 ms);
 * - the extrapolated sub-band samples are ADPCM-encoded (G.722 6.2.1, 6.2.2) by encoders that
 *   start from the mirror decoder's exact state, so the room's decoder reconstructs the
 *   extrapolation and its receive QMF continues from the real history without a seam, and its
 *   scale factors and predictors adapt to the concealed signal (App. IV re-encodes the
 *   concealed signal to update the decoder state for the same reason).
 * Simplified away: App. IV's LP residual extrapolation, its adaptive muting of the higher band,
 * and its cross-fade of the first good frame (the first good codewords are decoded from the
 * concealed state; the ADPCM predictor continues the concealed waveform and converges).
 */
export class G722Concealer implements PayloadConcealer {
  private readonly mirror = new G722Decoder();
  private readonly lowPlc = new PitchRepeatConcealer(8000);
  private readonly highPlc = new PitchRepeatConcealer(8000);
  private readonly lowEnc = new SubBand(false);
  private readonly highEnc = new SubBand(true);
  private bands = { low: new Int16Array(INITIAL_OCTETS), high: new Int16Array(INITIAL_OCTETS) };
  private pcm = new Int16Array(2 * INITIAL_OCTETS);

  get concealedSamples(): number {
    return this.lowPlc.concealedSamples;
  }

  observe(payload: Buffer): void {
    const n = payload.length;
    this.ensure(n);
    this.mirror.decode(payload, this.pcm, 0, this.bands);
    // copies: PitchRepeatConcealer cross-fades in place, which we cannot write back into codewords
    this.lowPlc.observe(this.bands.low.slice(0, n));
    this.highPlc.observe(this.bands.high.slice(0, n));
  }

  /** `samples`: RTP timestamp units = octets (G.722's 8000 Hz RTP clock, RFC 3551 4.5.2). */
  conceal(samples: number): Buffer {
    const n = samples;
    this.ensure(n);
    const { low, high } = this.bands;
    this.lowPlc.conceal(low, n);
    this.highPlc.conceal(high, n);
    const out = Buffer.allocUnsafe(n);
    this.lowEnc.copyFrom(this.mirror.low);
    this.highEnc.copyFrom(this.mirror.high);
    for (let k = 0; k < n; k++) {
      // G.722 1.4: IH in the two most significant bits, IL below
      out[k] = (encodeHigh(this.highEnc, high[k]!) << 6) | encodeLow(this.lowEnc, low[k]!);
    }
    // the room's decoder decodes these codewords: the mirror does too, to stay in step
    this.mirror.decode(out, this.pcm, 0);
    return out;
  }

  private ensure(octets: number): void {
    if (this.pcm.length >= 2 * octets) return;
    this.bands = { low: new Int16Array(octets), high: new Int16Array(octets) };
    this.pcm = new Int16Array(2 * octets);
  }
}

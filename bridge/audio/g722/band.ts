import * as tables from './tables.ts';

// Module-local bindings: under tsx an imported binding is read through an accessor on every
// use, which costs more than the arithmetic in these per-sample loops.
const { ILB, RH2, RL42, WH, WL } = tables;

/** 16-bit saturation, as the Recommendation's arithmetic limits every sum (G.722 6.1). */
export function sat16(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : x;
}

/**
 * State of one sub-band ADPCM (G.722 6.2.1 lower, 6.2.2 higher): the adaptive scale factor and
 * the pole-zero predictor (2 poles, 6 zeros). Encoder and decoder keep one per sub-band and feed
 * it the same quantised difference, so both stay in step. Integer arithmetic only, no allocation.
 */
export class SubBand {
  /** Quantizer scale factor DETL / DETH (G.722 6.4 reset: 32 lower, 8 higher). */
  det: number;
  /** Logarithmic scale factor NBL / NBH. */
  private nb = 0;
  /** Predictor output SL / SH for the next sample. */
  s = 0;
  /** Zero-section output SZL / SZH. */
  private sz = 0;
  private a1 = 0;
  private a2 = 0;
  /** Zero-section coefficients BL1..BL6 and quantised differences DLT1..DLT6 (index 0 = 1). */
  private readonly b = new Int32Array(6);
  private readonly d = new Int32Array(6);
  /** Partial reconstructions PLT1, PLT2 and reconstructed signals RLT1, RLT2. */
  private p1 = 0;
  private p2 = 0;
  private r1 = 0;
  private r2 = 0;

  constructor(high: boolean) {
    this.det = high ? 8 : 32;
  }

  /** Take over another band's whole state (packet-loss concealment keeps an encoder in step with a decoder). */
  copyFrom(o: SubBand): void {
    this.det = o.det;
    this.nb = o.nb;
    this.s = o.s;
    this.sz = o.sz;
    this.a1 = o.a1;
    this.a2 = o.a2;
    this.b.set(o.b);
    this.d.set(o.d);
    this.p1 = o.p1;
    this.p2 = o.p2;
    this.r1 = o.r1;
    this.r2 = o.r2;
  }

  /** G.722 6.2.1.3 LOGSCL + 6.2.1.4 SCALEL: adapt the lower sub-band scale from IL >> 2. */
  adaptLow(ilr: number): void {
    // NBPL = NBL · 32512 >> 15 + WL(RIL), limited to [0, 18432]
    let nb = ((this.nb * 32512) >> 15) + WL[RL42[ilr]!]!;
    nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
    this.nb = nb;
    this.det = scale(nb, 8);
  }

  /** G.722 6.2.2.3 LOGSCH + 6.2.2.4 SCALEH: adapt the higher sub-band scale from IH. */
  adaptHigh(ih: number): void {
    let nb = ((this.nb * 32512) >> 15) + WH[RH2[ih]!]!;
    nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
    this.nb = nb;
    this.det = scale(nb, 10);
  }

  /**
   * G.722 6.2.1.5-6.2.1.9 (and 6.2.2.5 for the higher band): given the quantised difference
   * `dq` (DLT / DH), reconstruct, adapt the pole and zero coefficients and compute the next
   * prediction `s`.
   */
  predict(dq: number): void {
    const b = this.b;
    const d = this.d;
    // 6.2.1.6 RECONS: RLT = SL + DLT; PARREC: PLT = DLT + SZL
    const r = sat16(this.s + dq);
    const p = sat16(dq + this.sz);
    const sg0 = p < 0;
    const sg1 = this.p1 < 0;
    const sg2 = this.p2 < 0;
    // 6.2.1.7 UPPOL2: APL2 = ±(4·AL1 limited) >> 7 ± 128 + AL2 · 32512 >> 15, limited to ±12288
    let wd1 = sat16(this.a1 * 4);
    let wd2 = sg0 === sg1 ? sat16(-wd1) : wd1;
    wd2 >>= 7;
    const wd3 = sg0 === sg2 ? 128 : -128;
    let apl2 = wd2 + wd3 + ((this.a2 * 32512) >> 15);
    apl2 = apl2 > 12288 ? 12288 : apl2 < -12288 ? -12288 : apl2;
    // 6.2.1.7 UPPOL1: APL1 = ±192 + AL1 · 32640 >> 15, limited to ±(15360 - APL2)
    let apl1 = (sg0 === sg1 ? 192 : -192) + ((this.a1 * 32640) >> 15);
    const lim = 15360 - apl2;
    apl1 = apl1 > lim ? lim : apl1 < -lim ? -lim : apl1;
    // 6.2.1.8 UPZERO: BPLi = ±128 (0 if DLT = 0) + BLi · 32640 >> 15; then DELAYA shifts DLTi
    const step = dq === 0 ? 0 : 128;
    const neg = dq < 0;
    for (let i = 5; i >= 0; i--) {
      b[i] = sat16(((d[i]! < 0) === neg ? step : -step) + (Math.imul(b[i]!, 32640) >> 15));
      d[i] = i === 0 ? dq : d[i - 1]!;
    }
    // 6.2.1.5 DELAYA for the poles
    this.a1 = apl1;
    this.a2 = apl2;
    this.p2 = this.p1;
    this.p1 = p;
    this.r2 = this.r1;
    this.r1 = r;
    // 6.2.1.5 FILTEP: SPL = AL1 · 2·RLT1 >> 15 + AL2 · 2·RLT2 >> 15
    wd1 = (apl1 * sat16(r + r)) >> 15;
    wd2 = (apl2 * sat16(this.r2 + this.r2)) >> 15;
    const spl = sat16(wd1 + wd2);
    // 6.2.1.5 FILTEZ: SZL = Σ BLi · 2·DLTi >> 15
    let sz = 0;
    for (let i = 0; i < 6; i++) sz = sat16(sz + (Math.imul(b[i]!, sat16(d[i]! + d[i]!)) >> 15));
    this.sz = sz;
    // 6.2.1.5 PREDIC: SL = SPL + SZL
    this.s = sat16(spl + sz);
  }
}

/** G.722 6.2.1.4 SCALEL (shift 8) / 6.2.2.4 SCALEH (shift 10): DET = ILB(NB) scaled, × 4. */
function scale(nb: number, shift: number): number {
  const wd1 = (nb >> 6) & 31;
  const wd2 = shift - (nb >> 11);
  const wd3 = wd2 < 0 ? ILB[wd1]! << -wd2 : ILB[wd1]! >> wd2;
  return wd3 << 2;
}

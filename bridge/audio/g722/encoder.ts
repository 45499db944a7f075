import { SubBand, sat16 } from './band.ts';
import { QmfHistory } from './qmf.ts';
import * as tables from './tables.ts';

// Module-local bindings: under tsx an imported binding is read through an accessor on every
// use, which costs more than the arithmetic in these per-sample loops.
const { IHN, IHP, ILN, ILP, Q2, Q6, QM2, QM4 } = tables;

/**
 * ITU-T G.722 encoder, 64 kbit/s (mode 1): 16 kHz 16-bit PCM in, one octet per two input
 * samples out (G.722 1.4: the higher sub-band's 2 bits IH above the lower sub-band's 6 bits IL).
 * One instance per stream: it holds the QMF history and both sub-bands' ADPCM state.
 */
export class G722Encoder {
  private readonly qmf = new QmfHistory();
  private readonly low = new SubBand(false);
  private readonly high = new SubBand(true);

  /**
   * Encode `count` samples (even) of `src` from `srcOffset` into `dst` from `dstOffset`.
   * Returns the number of octets written (count / 2).
   */
  encode(src: Int16Array, srcOffset: number, count: number, dst: Uint8Array, dstOffset: number): number {
    if ((count & 1) !== 0) throw new RangeError(`G722Encoder: ${count} samples is odd (one octet codes two samples)`);
    const qmf = this.qmf;
    const low = this.low;
    const high = this.high;
    const n = count >> 1;
    for (let k = 0; k < n; k++) {
      // G.722 4.2 transmit QMF: xL = (xA + xB), xH = (xA - xB), scaled to 15 bits
      const s = srcOffset + 2 * k;
      qmf.push(src[s]!, src[s + 1]!);
      const xl = (qmf.odd + qmf.even) >> 14;
      const xh = (qmf.odd - qmf.even) >> 14;
      dst[dstOffset + k] = (encodeHigh(high, xh) << 6) | encodeLow(low, xl);
    }
    return n;
  }
}

/** G.722 6.2.1: lower sub-band ADPCM, one sample → 6-bit IL. */
export function encodeLow(band: SubBand, xl: number): number {
  // 6.2.1.1 SUBTRA, QUANTL: EL = XL - SL; WD = |EL| (one's complement for EL < 0)
  const el = sat16(xl - band.s);
  const wd = el >= 0 ? el : -(el + 1);
  const det = band.det;
  let mil = 1;
  while (mil < 30 && wd >= (Q6[mil]! * det) >> 12) mil++;
  const il = el < 0 ? ILN[mil]! : ILP[mil]!;
  // 6.2.1.2 INVQAL: the predictor sees the 4-bit quantised difference
  const ilr = il >> 2;
  const dlt = (det * QM4[ilr]!) >> 15;
  band.adaptLow(ilr);
  band.predict(dlt);
  return il;
}

/** G.722 6.2.2: higher sub-band ADPCM, one sample → 2-bit IH. */
export function encodeHigh(band: SubBand, xh: number): number {
  // 6.2.2.1 SUBTRA, QUANTH
  const eh = sat16(xh - band.s);
  const wd = eh >= 0 ? eh : -(eh + 1);
  const det = band.det;
  const mih = wd >= (Q2 * det) >> 12 ? 2 : 1;
  const ih = eh < 0 ? IHN[mih]! : IHP[mih]!;
  // 6.2.2.2 INVQAH
  const dh = (det * QM2[ih]!) >> 15;
  band.adaptHigh(ih);
  band.predict(dh);
  return ih;
}

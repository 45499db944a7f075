import { SubBand } from './band.ts';
import { QmfHistory } from './qmf.ts';
import * as tables from './tables.ts';

// Module-local bindings: under tsx an imported binding is read through an accessor on every
// use, which costs more than the arithmetic in these per-sample loops.
const { QM2, QM4, QM5, QM6 } = tables;

/** G.722 1.3: mode 1 = 64 kbit/s (6-bit lower band), mode 2 = 56 (5-bit), mode 3 = 48 (4-bit). */
export type G722Mode = 1 | 2 | 3;

/** G.722 6.3.2.2 LIMIT: reconstructed sub-band signals are limited to 15 bits. */
function limit15(x: number): number {
  return x > 16383 ? 16383 : x < -16384 ? -16384 : x;
}

/** Reconstructed sub-band signals of decoded octets (G.722 6.3.2.2 rL, 6.3.3 rH), index = octet. */
export interface SubbandSignals {
  low: Int16Array;
  high: Int16Array;
}

/**
 * ITU-T G.722 decoder: one octet → two 16 kHz 16-bit samples. Mode 1 uses all 6 lower-band
 * bits; modes 2 and 3 ignore the 1 or 2 least significant bits (they carry auxiliary data).
 * One instance per stream.
 */
export class G722Decoder {
  private readonly qmf = new QmfHistory();
  /** Lower / higher sub-band ADPCM state (read by packet-loss concealment to stay in step). */
  readonly low = new SubBand(false);
  readonly high = new SubBand(true);

  constructor(readonly mode: G722Mode = 1) {}

  /**
   * Decode all of `src` into `dst` from `dstOffset` (room for 2 · src.length). Returns samples
   * written. `bands`, when given, receives the reconstructed sub-band signals rL and rH (one
   * each per octet, 8 kHz) before the receive QMF.
   */
  decode(src: Uint8Array, dst: Int16Array, dstOffset = 0, bands?: SubbandSignals): number {
    const qmf = this.qmf;
    const low = this.low;
    const high = this.high;
    const mode = this.mode;
    const n = src.length;
    let o = dstOffset;
    for (let k = 0; k < n; k++) {
      const code = src[k]!;
      const il = code & 63;
      const ih = code >> 6;
      // 6.3.2.1 INVQBL: the output uses the mode's quantizer, the predictor the 4-bit one
      let det = low.det;
      const ilr = il >> 2;
      const dlt = (det * QM4[ilr]!) >> 15;
      const dl = mode === 1 ? (det * QM6[il]!) >> 15 : mode === 2 ? (det * QM5[il >> 1]!) >> 15 : dlt;
      const rl = limit15(low.s + dl);
      low.adaptLow(ilr);
      low.predict(dlt);
      // 6.3.3 higher sub-band: INVQAH, RECONS, LIMIT
      det = high.det;
      const dh = (det * QM2[ih]!) >> 15;
      const rh = limit15(high.s + dh);
      high.adaptHigh(ih);
      high.predict(dh);
      if (bands) {
        bands.low[k] = rl;
        bands.high[k] = rh;
      }
      // G.722 4.4 receive QMF: xd = rL - rH, xs = rL + rH; two output samples
      qmf.push(rl + rh, rl - rh);
      const a = qmf.odd >> 11;
      const b = qmf.even >> 11;
      dst[o++] = a > 32767 ? 32767 : a < -32768 ? -32768 : a;
      dst[o++] = b > 32767 ? 32767 : b < -32768 ? -32768 : b;
    }
    return o - dstOffset;
  }
}

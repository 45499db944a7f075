import * as tables from './tables.ts';

// Module-local bindings: under tsx an imported binding is read through an accessor on every
// use, which costs more than the arithmetic in these per-sample loops.
const { QMF_H } = tables;

const TAPS = 24;

/**
 * The 24-tap quadrature mirror filter history (G.722 4.2 transmit, 4.4 receive). Samples go in
 * by pairs; `odd` and `even` are the two polyphase sums Σ h(t)·w[t] over the window
 * w[0..23] (oldest..newest) at odd and even t. As h is symmetric (h(t) = h(23-t)), `odd` is
 * Σ h(2i)·x(j-2i) and `even` Σ h(2i+1)·x(j-2i-1) counted from the newest sample x(j).
 * The ring holds each sample twice so the window is always contiguous (no per-sample copying).
 */
export class QmfHistory {
  private readonly ring = new Int32Array(2 * TAPS);
  private head = 0;
  odd = 0;
  even = 0;

  /** Push `older` then `newer` and compute both sums. */
  push(older: number, newer: number): void {
    const ring = this.ring;
    let h = this.head;
    ring[h] = ring[h + TAPS] = older;
    ring[h + 1] = ring[h + TAPS + 1] = newer;
    h += 2;
    if (h === TAPS) h = 0;
    this.head = h;
    let odd = 0;
    let even = 0;
    for (let t = 0; t < TAPS; t += 2) {
      even += QMF_H[t]! * ring[h + t]!;
      odd += QMF_H[t + 1]! * ring[h + t + 1]!;
    }
    this.odd = odd;
    this.even = even;
  }
}

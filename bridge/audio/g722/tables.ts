/**
 * Constant tables of ITU-T G.722 (09/2012), clause 6 "computational details". Written from the
 * Recommendation's tables; the normalised values are scaled as the Recommendation scales them.
 */

/** G.722 6.2.1.1 QUANTL, Table 14: 6-bit lower sub-band decision levels (×DETL >> 12), mil = 1..30. */
export const Q6 = Int32Array.of(
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
  786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
);

/** G.722 6.2.1.1 QUANTL, Table 14: codeword for interval mil (1..30) when EL < 0 (ILN) and EL >= 0 (ILP). */
export const ILN = Int32Array.of(
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
  18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
);
export const ILP = Int32Array.of(
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
  46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
);

/** G.722 6.2.1.2 INVQAL / 6.3.2.1 INVQBL, Table 17: 4-bit inverse quantizer QQ4 × sign, by IL >> 2. */
export const QM4 = Int32Array.of(
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
  20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
);

/** G.722 6.3.2.1 INVQBL, Table 16: 5-bit inverse quantizer (mode 2, 56 kbit/s), by IL >> 1. */
export const QM5 = Int32Array.of(
  -280, -280, -23352, -17560, -14120, -11664, -9752, -8184,
  -6864, -5712, -4696, -3784, -2960, -2208, -1520, -880,
  23352, 17560, 14120, 11664, 9752, 8184, 6864, 5712,
  4696, 3784, 2960, 2208, 1520, 880, 280, -280,
);

/** G.722 6.3.2.1 INVQBL, Table 15: 6-bit inverse quantizer (mode 1, 64 kbit/s), by IL. */
export const QM6 = Int32Array.of(
  -136, -136, -136, -136, -24808, -21904, -19008, -16704,
  -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
  -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
  24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
  10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
  1688, 1360, 1040, 728, 432, 136, -432, -136,
);

/** G.722 6.2.1.3 LOGSCL, Table 18: logarithmic scale factor multiplier WL, by RIL = IL >> 2 (via RL42). */
export const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
export const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);

/** G.722 6.2.1.4 SCALEL / 6.2.2.4 SCALEH, Table 19: ILB = 2048 · 2^(i/32), i = 0..31. */
export const ILB = Int32Array.of(
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
);

/** G.722 6.2.2.1 QUANTH, Table 20: the one higher sub-band decision level (×DETH >> 12). */
export const Q2 = 564;
/** G.722 6.2.2.1 QUANTH: codeword for mih = 1, 2 when EH < 0 (IHN) and EH >= 0 (IHP). */
export const IHN = Int32Array.of(0, 1, 0);
export const IHP = Int32Array.of(0, 3, 2);

/** G.722 6.2.2.2 INVQAH, Table 21: 2-bit inverse quantizer QQ2 × sign, by IH. */
export const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);

/** G.722 6.2.2.3 LOGSCH, Table 22: WH by RH2 = IH mapped to mih. */
export const WH = Int32Array.of(0, -214, 798);
export const RH2 = Int32Array.of(2, 1, 2, 1);

/** G.722 4.2 / 4.4, Table 11: QMF coefficients h0..h23, scaled by 2^13 (symmetric: h(i) = h(23-i)). */
export const QMF_H = Int32Array.of(
  3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
  3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
);

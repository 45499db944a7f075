/**
 * RFC 3389 3: the payload of one comfort noise (CN) RTP packet, also called a SID frame.
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+
 *   |0|   level     |   RFC 3389 3.1: noise level, 0..127 meaning 0..-127 dBov
 *   +-+-+-+-+-+-+-+-+
 *   |      N1       |   RFC 3389 3.2: quantised reflection coefficients of an all-pole
 *   +-+-+-+-+-+-+-+-+   model of the noise, in ascending order; the model order M is
 *   |     ...       |   the payload length - 1 (0 = level only, white noise)
 *   +-+-+-+-+-+-+-+-+
 *   |      NM       |
 *   +-+-+-+-+-+-+-+-+
 *
 * Quantisation of a reflection coefficient k in [-1, 1): N = round(128·k) + 127, so N = 127 is
 * k = 0 and k = (N - 127) / 128; N = 255 would be k = 1 (an unstable filter) and is read as 254.
 * Sign convention: the all-pole model is 1 / A(z), A(z) = 1 + Σ a_i z^-i, built from the k_i by
 * the step-up recursion, so noise with more low-frequency energy has k_1 < 0. (Mapping and sign
 * are those WebRTC's CNG uses too, so browsers' and our CN agree; checked by reading, not copied.)
 */
const OFF_LEVEL = 0;
const LEVEL_MASK = 0x7f;
/** Model order we accept from the network (RFC 3389 leaves it open; G.711 App. II uses 10). */
export const CN_MAX_ORDER = 32;
const K_ZERO = 127;
const K_STEP = 128;

export class ComfortNoiseDecodeError extends Error {
  constructor(
    readonly code: 'ERR_CN_EMPTY' | 'ERR_CN_ORDER',
    detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'ComfortNoiseDecodeError';
  }
}

export class ComfortNoisePayload {
  /** RFC 3389 3.1: the magnitude of the noise level in -dBov, 0..127 (0 = overload, loudest). */
  readonly level: number;
  /** RFC 3389 3.2: reflection coefficients k_1..k_M, each in [-1, 1), as the quantiser gives them. */
  readonly reflectionCoefficients: readonly number[];

  constructor(level: number, reflectionCoefficients: readonly number[] = []) {
    this.level = Math.max(0, Math.min(127, Math.round(level)));
    this.reflectionCoefficients = reflectionCoefficients.map((k) => dequantise(quantise(k)));
  }

  /** Decode a CN payload (the RTP payload, header and padding removed). */
  static decode(payload: Buffer): ComfortNoisePayload {
    if (payload.length < 1) throw new ComfortNoiseDecodeError('ERR_CN_EMPTY', 'no noise level octet');
    const order = payload.length - 1;
    if (order > CN_MAX_ORDER) throw new ComfortNoiseDecodeError('ERR_CN_ORDER', `model order ${order} > ${CN_MAX_ORDER}`);
    // RFC 3389 3.1: the most significant bit is unused (sent as 0); a receiver ignores it
    const level = payload[OFF_LEVEL]! & LEVEL_MASK;
    const ks: number[] = [];
    for (let i = 1; i <= order; i++) ks.push(dequantise(payload[i]!));
    return new ComfortNoisePayload(level, ks);
  }

  encodedSize(): number {
    return 1 + this.reflectionCoefficients.length;
  }

  encode(): Buffer {
    const out = Buffer.alloc(this.encodedSize());
    out[OFF_LEVEL] = this.level & LEVEL_MASK;
    this.reflectionCoefficients.forEach((k, i) => {
      out[1 + i] = quantise(k);
    });
    return out;
  }

  /** RMS on a 16-bit scale (RFC 3389 3.1: 0 dBov = a full-scale square wave, RMS 32767 here). */
  get rms(): number {
    return dbovToRms(this.level);
  }
}

/** RFC 3389 3.1: level magnitude in -dBov → RMS on a 16-bit scale. */
export function dbovToRms(level: number): number {
  return 32767 * 10 ** (-level / 20);
}

/** RMS on a 16-bit scale → RFC 3389 3.1 level magnitude (0..127, -dBov). */
export function rmsToDbov(rms: number): number {
  if (!(rms > 0)) return 127;
  return Math.max(0, Math.min(127, Math.round(-20 * Math.log10(rms / 32767))));
}

function quantise(k: number): number {
  const n = Math.round(k * K_STEP) + K_ZERO;
  return n < 0 ? 0 : n > 254 ? 254 : n;
}

function dequantise(n: number): number {
  return (Math.min(n, 254) - K_ZERO) / K_STEP;
}

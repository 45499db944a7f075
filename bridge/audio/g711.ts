import alawmulaw from 'alawmulaw';

/**
 * G.711 (ITU-T G.711) µ-law and A-law through lookup tables built once from `alawmulaw`, so the
 * media path encodes/decodes into preallocated buffers with no per-packet allocation.
 */
export type G711Law = 'PCMU' | 'PCMA';

const MULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
const MULAW_ENCODE = new Uint8Array(65536); // indexed by (sample + 32768)
const ALAW_ENCODE = new Uint8Array(65536);

for (let b = 0; b < 256; b++) {
  MULAW_DECODE[b] = alawmulaw.mulaw.decodeSample(b);
  ALAW_DECODE[b] = alawmulaw.alaw.decodeSample(b);
}
for (let s = -32768; s < 32768; s++) {
  MULAW_ENCODE[s + 32768] = alawmulaw.mulaw.encodeSample(s);
  ALAW_ENCODE[s + 32768] = alawmulaw.alaw.encodeSample(s);
}

/** G.711 encoding of digital silence (µ-law 0xFF, A-law 0xD5). */
export function g711Silence(law: G711Law): number {
  return law === 'PCMU' ? MULAW_ENCODE[32768]! : ALAW_ENCODE[32768]!;
}

/** Decode `src` into `dst` (dst.length >= src.length). Returns samples written. */
export function g711Decode(law: G711Law, src: Uint8Array, dst: Int16Array, dstOffset = 0): number {
  const table = law === 'PCMU' ? MULAW_DECODE : ALAW_DECODE;
  const n = src.length;
  for (let i = 0; i < n; i++) dst[dstOffset + i] = table[src[i]!]!;
  return n;
}

/** Encode `count` samples of `src` (from `srcOffset`) into `dst` at `dstOffset`. */
export function g711Encode(law: G711Law, src: Int16Array, srcOffset: number, count: number, dst: Uint8Array, dstOffset: number): void {
  const table = law === 'PCMU' ? MULAW_ENCODE : ALAW_ENCODE;
  for (let i = 0; i < count; i++) dst[dstOffset + i] = table[src[srcOffset + i]! + 32768]!;
}

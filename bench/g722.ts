/**
 * G.722 encode and decode speed on one core (issue #4). One iteration codes one 20 ms frame
 * (320 samples ↔ 160 octets) of a speech-like signal, as the media path does per packet.
 * Figures are realtime factors per CPU-second of this process (user + system time).
 * Run: npx tsx bench/g722.ts   (prints one line per direction)
 */
import { G722Decoder, G722Encoder } from '../bridge/audio/g722/index.ts';

const RATE = 16000;
const FRAME = 320;
const SECONDS = 10;
const WARMUP_MS = 500;
const MEASURE_MS = 2000;

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** 10 s of harmonics with a syllable envelope (never silent: no easy stretches) and some noise. */
function speechLike(): Int16Array {
  const out = new Int16Array(RATE * SECONDS);
  let seed = 1;
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    seed = (seed * 1103515245 + 12345) >>> 0;
    const env = 0.3 + 0.7 * Math.abs(Math.sin(2 * Math.PI * 3 * t));
    let v = 0;
    for (let k = 1; k <= 20; k++) v += Math.sin(2 * Math.PI * 140 * k * t) / k;
    out[i] = Math.round(8000 * env * v + (seed / 2 ** 32 - 0.5) * 2000);
  }
  return out;
}

/** Calls `frame(i)` for consecutive frames until `ms` of CPU time are spent; returns realtime factor. */
function run(frames: number, frame: (i: number) => void, ms: number): number {
  let count = 0;
  const start = cpuMicros();
  let used = 0;
  while (used < ms * 1000) {
    for (let i = 0; i < 500; i++) frame((count + i) % frames);
    count += 500;
    used = cpuMicros() - start;
  }
  const audioSeconds = (count * FRAME) / RATE;
  return audioSeconds / (used / 1e6);
}

const pcm = speechLike();
const frames = pcm.length / FRAME;
const coded = new Uint8Array(pcm.length / 2);
new G722Encoder().encode(pcm, 0, pcm.length, coded, 0);

const enc = new G722Encoder();
const encOut = new Uint8Array(FRAME / 2);
const encodeFrame = (i: number) => void enc.encode(pcm, i * FRAME, FRAME, encOut, 0);
run(frames, encodeFrame, WARMUP_MS);
const encRate = run(frames, encodeFrame, MEASURE_MS);

const dec = new G722Decoder();
const decOut = new Int16Array(FRAME);
const decodeFrame = (i: number) => void dec.decode(coded.subarray(i * (FRAME / 2), (i + 1) * (FRAME / 2)), decOut, 0);
run(frames, decodeFrame, WARMUP_MS);
const decRate = run(frames, decodeFrame, MEASURE_MS);

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`G.722 encode (64 kbit/s, 20 ms frames): ${fmt(encRate)}× realtime per core (${fmt(encRate)} concurrent streams)`);
console.log(`G.722 decode (mode 1, 20 ms frames): ${fmt(decRate)}× realtime per core (${fmt(decRate)} concurrent streams)`);

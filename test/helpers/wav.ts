// Minimal PCM WAV (RIFF/WAVE) reader and writer for test fixtures and peer recordings.
//
// Reads 16-bit integer PCM, format tag 1 or WAVE_FORMAT_EXTENSIBLE with the PCM subformat,
// any channel count and rate. Unknown chunks are skipped. A data chunk whose size field
// is 0 or runs past the end of the file (a recorder killed before it fixed the header) is
// read up to the end of the file.

import { readFileSync, writeFileSync } from 'node:fs';

export interface Wav {
  /** Samples per second per channel. */
  sampleRate: number;
  channels: number;
  /** Interleaved 16-bit samples (frame-major: L R L R ... for stereo). */
  samples: Int16Array;
}

export class WavFormatError extends Error {
  override name = 'WavFormatError';
}

const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;
const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;

export function decodeWav(buf: Buffer): Wav {
  if (buf.length < RIFF_HEADER_BYTES || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let fmt: { channels: number; sampleRate: number } | undefined;
  let offset = RIFF_HEADER_BYTES;
  while (offset + CHUNK_HEADER_BYTES <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + CHUNK_HEADER_BYTES;
    if (id === 'fmt ') {
      fmt = parseFmt(buf.subarray(body, Math.min(buf.length, body + size)));
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk before fmt chunk');
      const end = size === 0 || body + size > buf.length ? buf.length : body + size;
      const frameBytes = 2 * fmt.channels;
      const usable = end - body - ((end - body) % frameBytes);
      const samples = new Int16Array(usable / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { ...fmt, samples };
    }
    offset = body + size + (size & 1); // RIFF chunks are word aligned
  }
  throw new WavFormatError('no data chunk');
}

function parseFmt(chunk: Buffer): { channels: number; sampleRate: number } {
  if (chunk.length < 16) throw new WavFormatError(`fmt chunk too short (${chunk.length} bytes)`);
  let tag = chunk.readUInt16LE(0);
  const channels = chunk.readUInt16LE(2);
  const sampleRate = chunk.readUInt32LE(4);
  const bits = chunk.readUInt16LE(14);
  if (tag === FORMAT_EXTENSIBLE) {
    if (chunk.length < 26) throw new WavFormatError('extensible fmt chunk too short');
    tag = chunk.readUInt16LE(24); // first two bytes of the subformat GUID
  }
  if (tag !== FORMAT_PCM) throw new WavFormatError(`unsupported format tag 0x${tag.toString(16)}`);
  if (bits !== 16) throw new WavFormatError(`unsupported sample size ${bits} bits`);
  if (channels < 1) throw new WavFormatError('zero channels');
  if (sampleRate < 1) throw new WavFormatError('zero sample rate');
  return { channels, sampleRate };
}

export function encodeWav(wav: Wav): Buffer {
  const dataBytes = wav.samples.length * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(FORMAT_PCM, 20);
  buf.writeUInt16LE(wav.channels, 22);
  buf.writeUInt32LE(wav.sampleRate, 24);
  buf.writeUInt32LE(wav.sampleRate * wav.channels * 2, 28); // byte rate
  buf.writeUInt16LE(wav.channels * 2, 32); // block align
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < wav.samples.length; i++) buf.writeInt16LE(wav.samples[i]!, 44 + 2 * i);
  return buf;
}

export function readWav(path: string): Wav {
  return decodeWav(readFileSync(path));
}

export function writeWav(path: string, wav: Wav): void {
  writeFileSync(path, encodeWav(wav));
}

/** Average of all channels per frame; a mono input is returned as is. */
export function toMono(wav: Wav): Int16Array {
  if (wav.channels === 1) return wav.samples;
  const frames = Math.floor(wav.samples.length / wav.channels);
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < wav.channels; c++) sum += wav.samples[f * wav.channels + c]!;
    out[f] = Math.round(sum / wav.channels);
  }
  return out;
}

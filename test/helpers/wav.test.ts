import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dominantFrequency } from './spectrum.ts';
import { WavFormatError, decodeWav, encodeWav, readWav, toMono, writeWav } from './wav.ts';

const dir = mkdtempSync(join(tmpdir(), 'wav-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wav', () => {
  it('round-trips stereo samples and header fields', () => {
    const samples = Int16Array.from([1, -1, 32767, -32768, 100, 200]);
    const back = decodeWav(encodeWav({ sampleRate: 44100, channels: 2, samples }));
    expect(back).toEqual({ sampleRate: 44100, channels: 2, samples });
  });

  it('writes a header that sox understands', () => {
    const path = join(dir, 'sox.wav');
    writeWav(path, { sampleRate: 16000, channels: 2, samples: new Int16Array(3200) });
    const info = execFileSync('soxi', [path], { encoding: 'utf8' });
    expect(info).toMatch(/Channels\s*:\s*2/);
    expect(info).toMatch(/Sample Rate\s*:\s*16000/);
    expect(info).toMatch(/1600 samples/);
  });

  it('reads a WAV produced by sox (independent writer), downmixed to mono', () => {
    const path = join(dir, 'tone.wav');
    execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', path, 'synth', '0.5', 'sine', '600']);
    const wav = readWav(path);
    expect(wav.sampleRate).toBe(48000);
    expect(wav.channels).toBe(2);
    const mono = toMono(wav);
    expect(mono.length).toBe(24000);
    expect(Math.abs(dominantFrequency(mono, 48000) - 600)).toBeLessThan(1);
  });

  it('reads a truncated recording whose data size was never fixed up', () => {
    const buf = encodeWav({ sampleRate: 8000, channels: 1, samples: Int16Array.from([5, 6, 7]) });
    buf.writeUInt32LE(0, 40);
    expect(Array.from(decodeWav(buf).samples)).toEqual([5, 6, 7]);
    buf.writeUInt32LE(0xffffffff, 40);
    expect(Array.from(decodeWav(buf).samples)).toEqual([5, 6, 7]);
  });

  it('averages channels when downmixing', () => {
    expect(Array.from(toMono({ sampleRate: 8000, channels: 2, samples: Int16Array.from([10, 20, -4, 4]) }))).toEqual([15, 0]);
  });

  it('rejects non-WAV input and non-16-bit PCM with a WavFormatError', () => {
    expect(() => decodeWav(Buffer.from('hello world, not a wav'))).toThrow(WavFormatError);
    const float = encodeWav({ sampleRate: 8000, channels: 1, samples: new Int16Array(2) });
    float.writeUInt16LE(3, 20); // IEEE float tag
    expect(() => decodeWav(float)).toThrow(/format tag 0x3/);
  });
});

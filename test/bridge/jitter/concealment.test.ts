import { describe, expect, it } from 'vitest';
import { G711Concealer, PitchRepeatConcealer } from '../../../bridge/audio/concealment.ts';
import { OpusAudioDecoder, OpusAudioEncoder, g711Decode, g711Encode } from '../../../bridge/index.ts';
import { RoomAudioPlayout } from '../../../bridge/jitter/room-audio-playout.ts';
import { RtpPacket } from '../../../rtp/index.ts';
import { dominantFrequency, rms } from '../../helpers/spectrum.ts';
import { sineInt16 } from '../fakes.ts';

describe('PitchRepeatConcealer (after ITU-T G.711 Appendix I)', () => {
  it('continues a 440 Hz tone at full level for 10 ms, then fades out by 60 ms', () => {
    const plc = new PitchRepeatConcealer(8000);
    const tone = sineInt16(440, 8000, 800, 10000);
    plc.observe(tone.slice());
    const out = new Int16Array(640); // 80 ms
    plc.conceal(out.subarray(0, 160), 160);
    plc.conceal(out.subarray(160), 480);
    expect(dominantFrequency(out.subarray(0, 160), 8000)).toBeGreaterThan(420);
    expect(dominantFrequency(out.subarray(0, 160), 8000)).toBeLessThan(460);
    expect(rms(out.subarray(0, 80))).toBeGreaterThan(0.9 * rms(tone));
    expect(rms(out.subarray(160, 240))).toBeLessThan(0.85 * rms(tone)); // 20-30 ms: attenuated
    expect(rms(out.subarray(560))).toBe(0); // past 60 ms: silence
  });

  it('the repetition is continuous with what was played (no click at the loss)', () => {
    const plc = new PitchRepeatConcealer(8000);
    const tone = sineInt16(440, 8000, 800, 10000);
    plc.observe(tone.slice());
    const out = new Int16Array(160);
    plc.conceal(out, 160);
    const next = sineInt16(440, 8000, 801, 10000)[800]!; // where the tone would have gone
    expect(Math.abs(out[0]! - next)).toBeLessThan(2500); // a sample step of a 10000-amplitude 440 Hz tone is ≤ 3455
  });

  it('with no history yet it conceals with silence', () => {
    const plc = new PitchRepeatConcealer(8000);
    const out = new Int16Array(160).fill(7);
    plc.conceal(out, 160);
    expect(rms(out)).toBe(0);
  });
});

describe('G711Concealer and Opus PLC', () => {
  it('G.711: a concealed payload decodes to the tone that was playing', () => {
    const c = new G711Concealer('PCMA');
    const tone = sineInt16(440, 8000, 480, 8000);
    const payload = Buffer.alloc(480);
    g711Encode('PCMA', tone, 0, 480, payload, 0);
    c.observe(payload);
    const concealed = c.conceal(160);
    expect(concealed).toHaveLength(160);
    const pcm = new Int16Array(160);
    g711Decode('PCMA', concealed, pcm, 0);
    expect(rms(pcm)).toBeGreaterThan(0.8 * rms(tone));
    expect(Math.abs(dominantFrequency(pcm, 8000) - 440)).toBeLessThan(30);
    expect(c.concealedSamples).toBe(160);
  });

  it('Opus: the decoder PLC continues a tone for one 20 ms frame', () => {
    const enc = new OpusAudioEncoder();
    const dec = new OpusAudioDecoder();
    const tone = sineInt16(440, 48000, 960 * 10, 9000);
    for (let i = 0; i < 10; i++) dec.decode(enc.encode(tone, i * 960));
    const plc = dec.conceal(960);
    expect(plc).toHaveLength(960);
    expect(rms(plc)).toBeGreaterThan(0.5 * rms(tone)); // rms is normalised to full scale
    // the next real packet still decodes normally after the concealment
    expect(dec.decode(enc.encode(tone, 0))).toHaveLength(960);
  });
});

describe('RoomAudioPlayout', () => {
  it('turns a lost G.711 packet into a concealed packet with the lost seq/ts, in order', () => {
    const delivered: RtpPacket[] = [];
    const p = new RoomAudioPlayout({ clockRate: 8000, payloadType: 0, concealer: new G711Concealer('PCMU'), deliver: (b) => delivered.push(RtpPacket.decode(b)) });
    const tone = sineInt16(440, 8000, 160 * 20, 9000);
    for (let k = 0; k < 20; k++) {
      if (k === 7) continue;
      const payload = Buffer.alloc(160);
      g711Encode('PCMU', tone, k * 160, 160, payload, 0);
      p.push(new RtpPacket({ payloadType: 0, sequenceNumber: 500 + k, timestamp: 8000 + k * 160, ssrc: 9, payload }).encode(), k * 20);
    }
    for (let now = 0; now <= 1000; now += 20) p.tick(now);
    expect(delivered.map((d) => d.sequenceNumber)).toEqual(Array.from({ length: 20 }, (_, k) => 500 + k));
    const c = delivered[7]!;
    expect(c.timestamp).toBe(8000 + 7 * 160);
    expect(c.ssrc).toBe(9);
    expect(c.payload).toHaveLength(160);
    const pcm = new Int16Array(160);
    g711Decode('PCMU', c.payload, pcm, 0);
    expect(rms(pcm)).toBeGreaterThan(0.5 * rms(tone));
    expect(p.stats().concealedFrames).toBe(1);
  });

  it('passes Opus through without concealing (the meeting\'s receiver conceals)', () => {
    const delivered: number[] = [];
    const p = new RoomAudioPlayout({ clockRate: 48000, payloadType: 109, deliver: (b) => delivered.push(RtpPacket.decode(b).sequenceNumber) });
    for (const k of [0, 1, 3, 2, 5]) p.push(new RtpPacket({ payloadType: 109, sequenceNumber: k, timestamp: k * 960, ssrc: 1, payload: Buffer.from([0xf8, 1, 2]) }).encode(), k * 20);
    for (let now = 0; now <= 600; now += 20) p.tick(now);
    expect(delivered).toEqual([0, 1, 2, 3, 5]);
  });
});

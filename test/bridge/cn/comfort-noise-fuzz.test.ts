// Seeded fuzz: CN payloads from the network never throw anything but the typed error, and any
// decodable one drives the generator and the playout to bounded, finite output.
import { describe, expect, it } from 'vitest';
import { ComfortNoiseDecodeError, ComfortNoiseGenerator, ComfortNoisePayload } from '../../../bridge/audio/cn/index.ts';
import { G722Concealer } from '../../../bridge/audio/g722-concealer.ts';
import { RoomAudioPlayout } from '../../../bridge/jitter/room-audio-playout.ts';
import { RtpPacket } from '../../../rtp/index.ts';

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}

describe('CN decoding and synthesis under arbitrary input (seeded fuzz)', () => {
  it('decode throws only ComfortNoiseDecodeError; audible levels always give noise (no NaN, no dead filter)', () => {
    const rnd = lcg(20260);
    const out = new Int16Array(320);
    let decoded = 0;
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.alloc(rnd() % 40);
      for (let j = 0; j < payload.length; j++) payload[j] = rnd() & 0xff;
      let sid: ComfortNoisePayload;
      try {
        sid = ComfortNoisePayload.decode(payload);
      } catch (err) {
        expect(err).toBeInstanceOf(ComfortNoiseDecodeError);
        continue;
      }
      expect(sid.level).toBeGreaterThanOrEqual(0);
      expect(sid.level).toBeLessThanOrEqual(127);
      const g = new ComfortNoiseGenerator(i + 1);
      g.update(sid);
      g.generate(out);
      decoded++;
      // a NaN or a dead filter would come out as all zeros (Int16Array stores NaN as 0)
      if (sid.level <= 80 && out.every((v) => v === 0)) expect.fail(`silent output from ${payload.toString('hex')}`);
    }
    expect(decoded).toBeGreaterThan(1000);
  });

  it('RoomAudioPlayout survives random CN payloads and random G.722 payloads (with concealment) in one stream', () => {
    const rnd = lcg(77);
    const p = new RoomAudioPlayout({
      clockRate: 8000, payloadType: 9, concealer: new G722Concealer(), cnPt: 13, samplesPerTs: 2,
      deliver: () => {}, deliverPcm: (_ts, pcm) => expect(pcm.length).toBe(320), onDrop: () => {},
    });
    let ts = 5000;
    for (let k = 0; k < 400; k++) {
      const cn = rnd() % 7 === 0;
      const size = cn ? rnd() % 14 : 160;
      const payload = Buffer.alloc(size);
      for (let j = 0; j < size; j++) payload[j] = rnd() & 0xff;
      ts += cn ? 160 * (1 + (rnd() % 20)) : 160;
      if (rnd() % 10 !== 0) p.push(new RtpPacket({ payloadType: cn ? 13 : 9, sequenceNumber: k, timestamp: ts, ssrc: 1, payload }).encode(), 20 * k);
      p.tick(20 * k);
    }
    const s = p.stats();
    expect(s.released + s.concealedPackets).toBeGreaterThan(300);
  });
});

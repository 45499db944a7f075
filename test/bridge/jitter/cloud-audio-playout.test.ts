import { describe, expect, it } from 'vitest';
import { CloudAudioPlayout } from '../../../bridge/jitter/cloud-audio-playout.ts';
import { RtpPacket } from '../../../rtp/index.ts';

const FRAME = 960;

function opus(seq: number, bytes: number): Buffer {
  return new RtpPacket({ payloadType: 111, sequenceNumber: seq, timestamp: seq * FRAME, ssrc: 3, payload: Buffer.alloc(bytes, 0x55) }).encode();
}

/**
 * A meeting source whose clock runs `speed` × ours, played into a model of the mixer queue
 * (one frame consumed per 20 ms tick), on an injected clock.
 */
function play(speed: number, seconds: number, bytes: (seq: number) => number) {
  let queued = 2 * FRAME; // the mixer's prefill
  const delivered: number[] = [];
  let concealed = 0;
  const p = new CloudAudioPlayout({
    deliver: (_id, rtp) => { delivered.push(RtpPacket.decode(rtp).sequenceNumber); queued += FRAME; },
    conceal: () => { concealed++; queued += FRAME; },
    queuedSamples: () => queued,
  });
  let maxQueued = 0;
  let seq = 0;
  for (let now = 0; now <= seconds * 1000; now += 20) {
    while ((seq * 20) / speed <= now) p.push('peer', opus(seq, bytes(seq)), (seq * 20) / speed), seq++;
    p.tick(now);
    queued = Math.max(0, queued - FRAME); // the mixer takes one frame per tick
    maxQueued = Math.max(maxQueued, queued);
  }
  return { stats: p.stats(), delivered, concealed, maxQueued };
}

describe('CloudAudioPlayout drift control', () => {
  it('a sender 1 % fast does not grow the mixer queue: small (silent) packets are dropped first', () => {
    const r = play(1.01, 120, (seq) => (seq % 25 === 0 ? 8 : 80)); // one silent frame every 500 ms
    expect(r.stats.driftDrops).toBeGreaterThan(0);
    expect(r.maxQueued).toBeLessThanOrEqual(6 * FRAME);
    expect(r.concealed).toBe(0);
    // what was dropped for drift was silence
    const got = new Set(r.delivered);
    const dropped = Array.from({ length: r.delivered.at(-1)! }, (_, k) => k).filter((k) => !got.has(k));
    expect(dropped.length).toBe(r.stats.driftDrops);
    expect(dropped.every((k) => k % 25 === 0)).toBe(true);
  });

  it('a sender on our clock never loses a frame to drift control', () => {
    const r = play(1, 60, () => 80);
    expect(r.stats.driftDrops).toBe(0);
    expect(r.delivered).toHaveLength(r.delivered.at(-1)! + 1);
  });

  it('without any silent packet, a fast sender is still bounded (any packet dropped past 6 frames)', () => {
    const r = play(1.02, 60, () => 80);
    expect(r.stats.driftDrops).toBeGreaterThan(0);
    expect(r.maxQueued).toBeLessThanOrEqual(7 * FRAME);
  });
});

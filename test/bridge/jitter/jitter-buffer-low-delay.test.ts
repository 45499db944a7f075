import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../bridge/jitter/jitter-buffer.ts';
import { RtpPacket } from '../../../rtp/index.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const RATE = 8000;
const SPP = 160; // 20 ms

function pkt(seq: number): Buffer {
  return new RtpPacket({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: (1000 + seq * SPP) >>> 0, ssrc: 9, payload: Buffer.alloc(SPP) }).encode();
}

interface Run {
  /** Packets released per 20 ms tick, from the first release on. */
  perTick: number[];
  lost: number;
  delayAt: Map<number, number>;
}

/** Packet k sent at 20·k ms, arriving `delay(k)` later; the buffer is pulled on a 20 ms tick. */
function run(jb: JitterBuffer, n: number, delay: (k: number) => number, untilMs: number): Run {
  const arrivals = Array.from({ length: n }, (_, k) => ({ k, at: 20 * k + delay(k) })).sort((a, b) => a.at - b.at);
  const perTick: number[] = [];
  const delayAt = new Map<number, number>();
  let lost = 0;
  let i = 0;
  for (let now = 0; now <= untilMs; now += 20) {
    while (i < arrivals.length && arrivals[i]!.at <= now) jb.push(pkt(arrivals[i]!.k), arrivals[i]!.at), i++;
    let released = 0;
    jb.pull(now, (ev) => (ev.kind === 'packet' ? released++ : lost++));
    if (released > 0 || perTick.length > 0) perTick.push(released);
    delayAt.set(now, jb.stats().playoutDelayMs);
  }
  return { perTick, lost, delayAt };
}

/**
 * Ticks that released nothing in the steady state: after 3 s (the 20 ms initial delay has shrunk
 * to the floor, which moved the release one tick earlier once) and before the stream's end.
 */
const steady = (r: Run, n: number): number[] => r.perTick.slice(150, n - 50);
const emptyTicks = (r: Run, n: number): number => steady(r, n).filter((c) => c === 0).length;

describe('JitterBuffer low-delay floor (injected clock)', () => {
  it('a clean network (0–1 ms jitter) converges to the 5 ms floor within 2 s', () => {
    const rnd = seededRandom(3);
    const jb = new JitterBuffer({ clockRate: RATE });
    const r = run(jb, 500, () => 7 + rnd(), 10_000);
    expect(jb.stats().targetDelayMs).toBe(5);
    expect(r.delayAt.get(2000)).toBeLessThanOrEqual(6); // 20 ms initial, shrinking 10 ms/s
    expect(r.delayAt.get(9000)).toBeLessThanOrEqual(6);
    expect(r.lost).toBe(0);
    expect(jb.stats().late).toBe(0);
  });

  it('from the floor, 30 ms of jitter grows the target within a second; only the first jittery packets miss their slot', () => {
    const rnd = seededRandom(11);
    const jb = new JitterBuffer({ clockRate: RATE });
    const r = run(jb, 400, (k) => (k < 150 ? 2 : 2 + rnd() * 30), 8500);
    expect(r.delayAt.get(2900)).toBeLessThanOrEqual(6); // calm: at the floor
    expect(r.delayAt.get(4000)).toBeGreaterThan(20); // 1 s into the jitter, a third of the history
    expect(r.delayAt.get(5500)).toBeGreaterThan(25); // p95 of U(0, 30) ≈ 28.5 ms
    expect(jb.stats().targetDelayMs).toBeGreaterThan(25);
    // only the first jittery packets, before the estimate caught up, can miss their slot
    expect(jb.stats().late + r.lost).toBeLessThanOrEqual(5); // 0 with this seed
  });

  // The release tick is the first tick at or after a packet's due time: whatever the phase of the
  // arrivals against the tick, a clean stream gives exactly one packet per tick at the floor.
  for (const phase of [0, 4, 9.5, 14, 19.9]) {
    it(`no underrun at the floor on a clean network, arrivals ${phase} ms after the tick`, () => {
      const rnd = seededRandom(5);
      const jb = new JitterBuffer({ clockRate: RATE });
      const r = run(jb, 600, () => 20 + phase + rnd() * 2, 12_500);
      expect(emptyTicks(r, 600)).toBe(0);
      expect(Math.max(...steady(r, 600))).toBe(1);
      expect(r.lost).toBe(0);
    });
  }

  it('rare 8 ms spikes at the worst phase cost at most one empty tick each, never a cascade or a concealment', () => {
    // due ≈ arrival of the fastest + 5 ms, placed just before a tick: a spiked packet misses its tick
    const jb = new JitterBuffer({ clockRate: RATE });
    const spikes = new Set(Array.from({ length: 12 }, (_, j) => 60 + 45 * j)); // 2 %
    const r = run(jb, 600, (k) => 20 + 14 + (spikes.has(k) ? 8 : 0), 12_500);
    expect(emptyTicks(r, 600)).toBeLessThanOrEqual(spikes.size);
    expect(r.lost).toBe(0);
    expect(jb.stats().late).toBe(0);
  });
});

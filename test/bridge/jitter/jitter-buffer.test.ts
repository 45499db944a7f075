import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterEvent } from '../../../bridge/jitter/jitter-buffer.ts';
import { RtpPacket } from '../../../rtp/index.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

const RATE = 8000;
const SPP = 160; // 20 ms

function pkt(seq: number, ssrc = 5): Buffer {
  return new RtpPacket({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: (1000 + seq * SPP) >>> 0, ssrc, payload: Buffer.alloc(SPP, seq & 0xff) }).encode();
}

interface Arrival { at: number; seq: number }

/**
 * Runs a stream through the buffer on an injected clock: arrivals are pushed at their time,
 * the buffer is pulled on a 20 ms tick. Returns what came out, in order.
 */
function run(jb: JitterBuffer, arrivals: Arrival[], untilMs: number, probe?: (now: number) => void): JitterEvent[] {
  const out: JitterEvent[] = [];
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  let i = 0;
  for (let now = 0; now <= untilMs; now += 20) {
    while (i < sorted.length && sorted[i]!.at <= now) jb.push(pkt(sorted[i]!.seq), sorted[i]!.at), i++;
    jb.pull(now, (ev) => out.push(ev));
    probe?.(now);
  }
  return out;
}

const sent = (n: number, start = 0, delay: (seq: number) => number = () => 5) =>
  Array.from({ length: n }, (_, k) => ({ seq: start + k, at: (start + k) * 20 + delay(start + k) }));

describe('JitterBuffer (injected clock)', () => {
  it('reordered packets come out in sequence order, none lost', () => {
    const jb = new JitterBuffer({ clockRate: RATE });
    const arrivals = sent(50);
    for (const k of [10, 20, 30]) [arrivals[k]!.at, arrivals[k + 1]!.at] = [arrivals[k + 1]!.at + 1, arrivals[k]!.at]; // swap arrival order
    const out = run(jb, arrivals, 2000);
    expect(out.every((e) => e.kind === 'packet')).toBe(true);
    expect(out.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k));
  });

  it('5 % random loss becomes concealed slots, not gaps: the output sequence is contiguous', () => {
    const rnd = seededRandom(42);
    const all = sent(1000);
    const kept = all.filter((a) => a.seq === 0 || a.seq === 999 || rnd() >= 0.05);
    const lost = all.length - kept.length;
    expect(lost).toBeGreaterThan(30);
    const jb = new JitterBuffer({ clockRate: RATE });
    const out = run(jb, kept, 21_000);
    expect(out.map((e) => e.seq)).toEqual(all.map((a) => a.seq));
    const concealed = out.filter((e) => e.kind === 'lost');
    expect(concealed).toHaveLength(lost);
    for (const c of concealed) {
      expect(c.kind === 'lost' && c.samples).toBe(SPP);
      expect(c.ts).toBe((1000 + c.seq * SPP) >>> 0); // the lost packet's own timestamp
    }
    expect(jb.stats().concealedPackets).toBe(lost);
    expect(jb.stats().late).toBe(0);
  });

  it('target delay grows under 30 ms of jitter, then shrinks slowly when the jitter stops', () => {
    const rnd = seededRandom(7);
    const calm1 = sent(100, 0, () => 2); // 0-2 s
    const rough = sent(250, 100, () => 2 + rnd() * 30); // 2-7 s: 0-30 ms random delay
    const calm2 = sent(500, 350, () => 2); // 7-17 s
    const jb = new JitterBuffer({ clockRate: RATE });
    const delay: Record<number, number> = {};
    const out = run(jb, [...calm1, ...rough, ...calm2], 17_500, (now) => { delay[now] = jb.stats().playoutDelayMs; });
    expect(delay[1900]).toBeLessThan(25);
    expect(jb.stats().targetDelayMs).toBeLessThanOrEqual(200);
    expect(delay[6900]).toBeGreaterThan(25); // p95 of U(0, 30) ≈ 28.5 ms
    expect(delay[6900]).toBeLessThan(32);
    // shrinking is gradual: still above the calm level right after, back to it seconds later
    expect(delay[7500]).toBeGreaterThan(delay[1900]!);
    expect(delay[17_400]).toBeLessThan(21);
    // with the delay in force, nothing arrived after its slot
    expect(jb.stats().late).toBe(0);
    expect(out.filter((e) => e.kind === 'lost')).toHaveLength(0);
  });

  it('stays within [min, max]: a 500 ms spike does not push the target beyond 200 ms', () => {
    const jb = new JitterBuffer({ clockRate: RATE });
    let maxDelay = 0;
    run(jb, sent(200, 0, (s) => (s % 10 === 0 ? 500 : 1)), 5000, () => { maxDelay = Math.max(maxDelay, jb.stats().playoutDelayMs); });
    expect(jb.stats().targetDelayMs).toBe(200);
    expect(maxDelay).toBeLessThanOrEqual(200);
  });

  it('drops late packets and duplicates, and counts them', () => {
    const jb = new JitterBuffer({ clockRate: RATE, minDelayMs: 20, initialDelayMs: 20 });
    const arrivals = sent(30).filter((a) => a.seq !== 10);
    arrivals.push({ seq: 10, at: 10 * 20 + 400 }); // far too late: its slot was concealed
    arrivals.push({ seq: 5, at: 5 * 20 + 6 }); // a duplicate while still held
    arrivals.push({ seq: 3, at: 3 * 20 + 300 }); // a duplicate after release
    const out = run(jb, arrivals, 1500);
    expect(out.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, k) => k));
    expect(out.find((e) => e.seq === 10)!.kind).toBe('lost');
    const s = jb.stats();
    expect(s.late).toBe(1);
    expect(s.duplicates).toBe(2);
    expect(s.released).toBe(29);
  });

  it('does not conceal the end of a talkspurt (DTX, silence suppression, hold)', () => {
    const jb = new JitterBuffer({ clockRate: RATE });
    const out = run(jb, sent(20), 5000);
    expect(out).toHaveLength(20);
    expect(jb.stats().concealedPackets).toBe(0);
  });

  it.each([
    ['fast', 1.01],
    ['slow', 0.99],
  ])('follows a sender clock 1 %% %s: depth stays bounded, nothing late or concealed', (_label, speed) => {
    const jb = new JitterBuffer({ clockRate: RATE });
    // the sender stamps 20 ms of its clock per packet, which is 20/speed ms of ours
    const arrivals = Array.from({ length: 3000 }, (_, k) => ({ seq: k, at: Math.round((k * 20) / speed) + 3 }));
    let maxQueued = 0;
    const out = run(jb, arrivals, Math.ceil((3000 * 20) / speed) + 500, () => { maxQueued = Math.max(maxQueued, jb.queued); });
    expect(out).toHaveLength(3000);
    expect(maxQueued).toBeLessThanOrEqual(4);
    expect(jb.stats().late).toBe(0);
    expect(jb.stats().concealedPackets).toBe(0);
  });

  it('restarts on a new SSRC: flushes and plays the new stream', () => {
    const jb = new JitterBuffer({ clockRate: RATE });
    const out: JitterEvent[] = [];
    for (let k = 0; k < 5; k++) jb.push(pkt(k), k * 20);
    jb.pull(1000, (e) => out.push(e));
    jb.push(pkt(40000, 6), 1000);
    jb.pull(2000, (e) => out.push(e));
    expect(out.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 40000]);
    expect(jb.stats().restarts).toBe(1);
  });
});

describe('JitterBuffer under arbitrary input (seeded fuzz)', () => {
  it('never throws, never releases a sequence number twice or out of order, stays bounded', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rnd = seededRandom(seed);
      const jb = new JitterBuffer({ clockRate: RATE, maxPackets: 40 });
      let seq = Math.floor(rnd() * 65536);
      let ts = Math.floor(rnd() * 2 ** 32);
      let ssrc = 1;
      let now = 0;
      let lastExt: number | undefined;
      let lastSsrc = ssrc;
      const released: number[] = [];
      for (let i = 0; i < 2000; i++) {
        now += rnd() * 25;
        const r = rnd();
        if (r < 0.01) seq = (seq + Math.floor(rnd() * 40000)) & 0xffff; // jump
        if (r > 0.995) ssrc++; // new source
        const dup = rnd() < 0.03;
        const back = rnd() < 0.05 ? Math.floor(rnd() * 5) : 0; // reordered
        const s = (seq - back) & 0xffff;
        const p = new RtpPacket({ payloadType: 0, sequenceNumber: s, timestamp: (ts - back * SPP) >>> 0, ssrc, payload: Buffer.alloc(4) }).encode();
        if (rnd() > 0.05) jb.push(p, now);
        if (dup) jb.push(Buffer.from(p), now + 1);
        seq = (seq + 1) & 0xffff;
        ts = (ts + SPP) >>> 0;
        jb.pull(now, (ev) => {
          if (ev.kind !== 'packet') return;
          const evSsrc = RtpPacket.decode(ev.rtp).ssrc;
          if (evSsrc !== lastSsrc) lastExt = undefined; // a new stream starts anywhere
          lastSsrc = evSsrc;
          released.push(ev.seq);
          if (lastExt !== undefined) {
            const d = ((ev.seq - lastExt) << 16) >> 16;
            // forward in the same stream, or a restart (large jump) that flushed the buffer
            expect(d > 0 || Math.abs(d) > 1000).toBe(true);
          }
          lastExt = ev.seq;
        });
        expect(jb.queued).toBeLessThanOrEqual(41);
      }
      expect(released.length).toBeGreaterThan(700);
    }
  });
});

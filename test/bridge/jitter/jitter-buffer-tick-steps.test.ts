// The room's playout on the 20 ms media tick (issue #4 latency): a playout delay that drifts
// across a tick boundary moves the output by a whole period each time it crosses. With
// `shrinkStepMs` the delay still grows at once but shrinks only in whole ticks, so the output
// keeps its phase: fewer moves, and none of them later than needed.
import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../bridge/jitter/jitter-buffer.ts';
import { RtpPacket } from '../../../rtp/index.ts';

/**
 * 60 s of 20 ms packets whose transit is 12 ms, except one fast packet (4 ms) every 4 s: the
 * moving minimum (3 s history) drops the base and the delay target slides down, then the fast
 * packet leaves the history and the target jumps back up. Returns each packet's delay from its
 * send time to the tick that released it.
 */
function playoutDelays(shrinkStepMs: number): number[] {
  const jb = new JitterBuffer({ clockRate: 8000, shrinkStepMs, initialDelayMs: 20 });
  const delays = new Map<number, number>();
  const sentAt = (seq: number): number => seq * 20;
  let next = 0;
  // ticks at 20 ms, 15 ms after each send time: the tick boundary lies between the delay with the
  // fast packet in the history (base 4 + target 8 = 12 ms) and without it (12 + 5 = 17 ms)
  for (let tick = 15; tick < 60_000; tick += 20) {
    while (sentAt(next) + 12 <= tick) {
      const transit = next % 200 === 100 ? 4 : 12;
      const rtp = new RtpPacket({ payloadType: 0, sequenceNumber: next & 0xffff, timestamp: next * 160, ssrc: 7, payload: Buffer.alloc(160) }).encode();
      jb.push(rtp, sentAt(next) + transit);
      next++;
    }
    jb.pull(tick, (ev) => {
      if (ev.kind === 'packet') delays.set(ev.ts / 160, tick - sentAt(ev.ts / 160));
    });
  }
  return [...delays.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d);
}

function moves(delays: number[]): { up: number; down: number } {
  let up = 0;
  let down = 0;
  for (let i = 1; i < delays.length; i++) {
    if (delays[i]! > delays[i - 1]!) up++;
    else if (delays[i]! < delays[i - 1]!) down++;
  }
  return { up, down };
}

describe('JitterBuffer shrinkStepMs (playout on a 20 ms tick)', () => {
  it('a base transit that dips and recovers moves the continuous playout back and forth across a tick; whole-tick shrinking does not', () => {
    // after the first 8 s (the initial 20 ms target, the first fast packet entering and leaving the history)
    const continuous = moves(playoutDelays(0).slice(400));
    const stepped = moves(playoutDelays(20).slice(400));
    // the continuous delay crosses the boundary down and up again around every fast packet
    expect(continuous.up).toBeGreaterThanOrEqual(5);
    expect(stepped).toEqual({ up: 0, down: 0 });
  });

  it('still shrinks, in whole ticks, when the jitter really went away', () => {
    const jb = new JitterBuffer({ clockRate: 8000, shrinkStepMs: 20 });
    let t = 0;
    // 3 s of 60 ms jitter, then 20 s of none
    for (let seq = 0; seq < 1150; seq++) {
      const jitter = seq < 150 ? (seq % 3) * 30 : 0;
      const rtp = new RtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 9, payload: Buffer.alloc(160) }).encode();
      t = seq * 20 + jitter;
      jb.push(rtp, t);
      jb.pull(t, () => undefined);
    }
    const { playoutDelayMs, targetDelayMs } = jb.stats();
    expect(targetDelayMs).toBe(5);
    expect(playoutDelayMs).toBeLessThan(25);
  });
});

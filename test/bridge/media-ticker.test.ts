import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MediaTicker } from '../../bridge/index.ts';

describe('MediaTicker (drift-corrected 20 ms clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires exactly 50 ticks per second of clock time, each on the start + n·20 ms grid', () => {
    const ticker = new MediaTicker();
    const times: number[] = [];
    const start = performance.now();
    const stop = ticker.subscribe((now) => times.push(now - start));
    vi.advanceTimersByTime(1000);
    stop();
    expect(times).toHaveLength(50);
    times.forEach((t, i) => expect(t).toBeCloseTo(20 * (i + 1), 5));
  });

  it('does not accumulate lateness: after a 7 ms slip the following ticks are back on the grid', () => {
    let offset = 0;
    const clock = () => performance.now() + offset;
    const ticker = new MediaTicker({ now: clock });
    const start = clock();
    const times: number[] = [];
    const stop = ticker.subscribe((now) => {
      times.push(now - start);
      if (times.length === 3) offset += 7; // the event loop lost 7 ms here
    });
    vi.advanceTimersByTime(200);
    stop();
    // a chain of 20 ms delays would put every later tick at 20·n + 7
    for (let i = 3; i < times.length; i++) expect(times[i]).toBeCloseTo(20 * (i + 1), 5);
    expect(times.length).toBeGreaterThanOrEqual(9);
  });

  it('re-anchors after a long stall instead of firing a burst', () => {
    let offset = 0;
    const ticker = new MediaTicker({ now: () => performance.now() + offset, maxCatchUpTicks: 5 });
    let n = 0;
    const stop = ticker.subscribe(() => n++);
    vi.advanceTimersByTime(100); // 5 ticks
    offset += 400; // 20 periods lost
    vi.advanceTimersByTime(20);
    expect(n).toBe(6); // one tick, no burst of 20
    expect(ticker.skippedTicks).toBeGreaterThanOrEqual(19);
    stop();
  });

  it('stops its timer when the last subscriber leaves and isolates throwing listeners', () => {
    const ticker = new MediaTicker();
    let good = 0;
    const s1 = ticker.subscribe(() => { throw new Error('bad listener'); });
    const s2 = ticker.subscribe(() => good++);
    vi.advanceTimersByTime(60);
    expect(good).toBe(3);
    s1();
    s2();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("runs every 'mix' listener after every 'playout' listener of a tick, whatever the subscription order", () => {
    const ticker = new MediaTicker();
    const order: string[] = [];
    const stops = [
      ticker.subscribe(() => order.push('mix'), 'mix'), // a meeting's hub, subscribed by the first call
      ticker.subscribe(() => order.push('call-1')),
      ticker.subscribe(() => order.push('call-2'), 'playout'),
    ];
    vi.advanceTimersByTime(40);
    expect(order).toEqual(['call-1', 'call-2', 'mix', 'call-1', 'call-2', 'mix']);
    stops[1]!();
    stops[2]!();
    expect(vi.getTimerCount()).toBe(1); // the mix listener alone keeps the clock running
    stops[0]!();
    expect(vi.getTimerCount()).toBe(0);
  });
});

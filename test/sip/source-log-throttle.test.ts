import { describe, expect, it } from 'vitest';
import { SourceLogThrottle } from '../../sip/rate-limit/source-log-throttle.ts';

describe('SourceLogThrottle: bad input from one source is logged a bounded number of times', () => {
  it('writes the first linesPerInterval lines of a window, holds back the rest, and reports them in the next window', () => {
    let now = 0;
    const t = new SourceLogThrottle({ intervalMs: 10_000, linesPerInterval: 3 }, () => now);
    expect([t.admit('a'), t.admit('a'), t.admit('a')]).toEqual([0, 0, 0]);
    for (let i = 0; i < 1000; i++) expect(t.admit('a')).toBeUndefined();
    now = 9_999;
    expect(t.admit('a')).toBeUndefined();
    now = 10_000;
    expect(t.admit('a')).toBe(1001);
    expect(t.admit('a')).toBe(0);
  });

  it('keeps sources apart: a flooding source does not silence another one', () => {
    const t = new SourceLogThrottle({ linesPerInterval: 1 }, () => 0);
    expect(t.admit('flood')).toBe(0);
    expect(t.admit('flood')).toBeUndefined();
    expect(t.admit('other')).toBe(0);
  });

  it('bounds its memory: past maxSources the table starts afresh', () => {
    const t = new SourceLogThrottle({ linesPerInterval: 1, maxSources: 2 }, () => 0);
    t.admit('a');
    t.admit('b');
    expect(t.admit('a')).toBeUndefined();
    expect(t.admit('c')).toBe(0); // table cleared to admit c
    expect(t.admit('a')).toBe(0);
  });
});

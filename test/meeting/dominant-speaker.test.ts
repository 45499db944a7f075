import { describe, expect, it } from 'vitest';
import { DominantSpeaker } from '../../meeting/dominant-speaker.ts';

describe('DominantSpeaker', () => {
  it('takes the first speaker at once, then needs two consecutive loudest reports to switch', () => {
    const d = new DominantSpeaker(2);
    expect(d.report('a')).toBe('a');
    expect(d.report('b')).toBeUndefined(); // one report is an interjection
    expect(d.report('a')).toBeUndefined();
    expect(d.report('b')).toBeUndefined();
    expect(d.report('b')).toBe('b');
    expect(d.speaker).toBe('b');
  });

  it('silence keeps the speaker and resets a pending candidate', () => {
    const d = new DominantSpeaker(2);
    d.report('a');
    expect(d.report('b')).toBeUndefined();
    expect(d.report(undefined)).toBeUndefined();
    expect(d.report('b')).toBeUndefined(); // the count started again
    expect(d.speaker).toBe('a');
  });

  it('a speaker who leaves is forgotten; the next voice is taken at once', () => {
    const d = new DominantSpeaker(2);
    d.report('a');
    d.forget('a');
    expect(d.speaker).toBeUndefined();
    expect(d.report('c')).toBe('c');
  });
});

import { describe, expect, it } from 'vitest';
import { dtmfRelayBody, parseDtmfInfo } from '../../gateway/dtmf-info.ts';
import { DtmfMerger } from '../../gateway/dtmf-merger.ts';

describe('DTMF in SIP INFO bodies', () => {
  it.each([
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', '5', 160],
    ['Application/DTMF-Relay; charset=utf-8', 'signal = #\nduration= 250', '#', 250],
    ['application/dtmf-relay', 'Signal=11\r\nDuration=100\r\n', '#', 100], // RFC 4733 event number
    ['application/dtmf-relay', 'Signal=*\r\n', '*', 160], // no Duration: default
    ['application/dtmf-relay', 'Signal=d\r\nDuration=10\r\n', 'D', 40], // clamped to 40 ms
    ['application/dtmf', '7', '7', 160],
    ['application/dtmf', ' 10\r\n', '*', 160],
  ])('%s %j → key %s, %i ms', (type, body, digit, durationMs) => {
    expect(parseDtmfInfo(type, body)).toEqual({ kind: 'digit', value: { digit, durationMs } });
  });

  it.each([
    ['application/dtmf-relay', 'Duration=160\r\n'],
    ['application/dtmf-relay', 'Signal=E\r\n'],
    ['application/dtmf-relay', 'Signal=16\r\n'],
    ['application/dtmf', '55'],
    ['application/dtmf', ''],
  ])('%s %j is a DTMF type with a body we cannot read', (type, body) => {
    expect(parseDtmfInfo(type, body).kind).toBe('malformed');
  });

  it('other content types are not DTMF (the call answers them as before)', () => {
    expect(parseDtmfInfo('application/media_control+xml', 'Signal=5').kind).toBe('not-dtmf');
    expect(parseDtmfInfo(undefined, 'Signal=5').kind).toBe('not-dtmf');
  });

  it('builds the dtmf-relay body that parses back', () => {
    expect(dtmfRelayBody('#', 200)).toBe('Signal=#\r\nDuration=200\r\n');
    expect(parseDtmfInfo('application/dtmf-relay', dtmfRelayBody('A', 200))).toEqual({ kind: 'digit', value: { digit: 'A', durationMs: 200 } });
  });
});

describe('DtmfMerger: one digit per key press across RFC 4733 and INFO', () => {
  function merger() {
    let now = 0;
    const m = new DtmfMerger(() => now);
    return { m, at: (t: number) => (now = t) };
  }

  it('INFO arriving while the RFC 4733 event of the same key runs is the copy', () => {
    const { m, at } = merger();
    m.rtpStarted('5', 0);
    at(30);
    expect(m.offer('info', '5')).toBe(false);
    at(200);
    expect(m.offer('rfc4733', '5', 0)).toBe(true);
    expect(m.merged).toBe(1);
  });

  it('INFO first: the RFC 4733 digit that starts within the window is the copy', () => {
    const { m, at } = merger();
    at(1000);
    expect(m.offer('info', '#')).toBe(true);
    m.rtpStarted('#', 1040);
    at(1200);
    expect(m.offer('rfc4733', '#', 1040)).toBe(false);
  });

  it('different keys, far-apart presses and repeats within one source are all delivered', () => {
    const { m, at } = merger();
    m.rtpStarted('1', 0);
    at(10);
    expect(m.offer('info', '2')).toBe(true); // other key
    at(500);
    expect(m.offer('info', '1')).toBe(true); // 500 ms after the RFC 4733 start: a new press
    expect(m.offer('info', '1')).toBe(true); // same source twice: two presses
    at(520);
    expect(m.offer('rfc4733', '1', 0)).toBe(true);
    expect(m.merged).toBe(0);
  });
});

describe('fuzz: parseDtmfInfo', () => {
  it('never throws and only ever yields one of the 16 keys', () => {
    let x = 6086;
    const next = (): number => ((x = (x * 1103515245 + 12345) >>> 0), x / 0x100000000);
    const alphabet = 'Signal=Duration0123456789*#ABCDEabcde \r\n=;:-';
    for (let i = 0; i < 3000; i++) {
      const body = Array.from({ length: Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      for (const type of ['application/dtmf-relay', 'application/dtmf']) {
        const p = parseDtmfInfo(type, body);
        if (p.kind === 'digit') {
          expect(p.value.digit).toMatch(/^[0-9*#A-D]$/);
          expect(p.value.durationMs).toBeGreaterThanOrEqual(40);
          expect(p.value.durationMs).toBeLessThanOrEqual(5000);
        } else expect(p.kind).toBe('malformed');
      }
    }
  });
});

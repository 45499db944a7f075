import { describe, expect, it } from 'vitest';
import { SendStream } from '../../../bridge/send-stream.ts';
import { digitOfEvent, eventOfDigit, parseDtmfDigit } from '../../../bridge/dtmf/dtmf-digit.ts';
import { TelephoneEvent, TelephoneEventDecodeError } from '../../../bridge/dtmf/telephone-event.ts';
import { TelephoneEventReceiver, type ReceivedDtmf } from '../../../bridge/dtmf/telephone-event-receiver.ts';
import { TelephoneEventSender } from '../../../bridge/dtmf/telephone-event-sender.ts';
import { RtpPacket } from '../../../rtp/index.ts';

function evPkt(seq: number, ts: number, event: number, end: boolean, duration: number, marker = false, pt = 101, ssrc = 7): Buffer {
  const payload = new TelephoneEvent(event, end, 10, duration).encode();
  return new RtpPacket({ payloadType: pt, marker, sequenceNumber: seq, timestamp: ts, ssrc, payload }).encode();
}

function receiver(clockRate = 8000) {
  const digits: ReceivedDtmf[] = [];
  const starts: string[] = [];
  const r = new TelephoneEventReceiver({ clockRate, onDigit: (d) => digits.push(d), onStart: (d) => starts.push(d) });
  return { r, digits, starts };
}

describe('RFC 4733 2.3 payload', () => {
  it('round-trips event, E bit, volume and duration byte for byte', () => {
    const golden = Buffer.from([0x0b, 0x8a, 0x03, 0x20]); // '#', E, volume 10, 800
    const ev = TelephoneEvent.decode(golden);
    expect([ev.event, ev.end, ev.volume, ev.duration]).toEqual([11, true, 10, 800]);
    expect(ev.encode()).toEqual(golden);
  });

  it('refuses a payload shorter than 4 bytes with a typed error', () => {
    expect(() => TelephoneEvent.decode(Buffer.from([1, 2, 3]))).toThrow(TelephoneEventDecodeError);
  });

  it('maps events 0-15 to 0-9 * # A-D (RFC 4733 3.2) and nothing else', () => {
    expect([...Array(16).keys()].map((e) => digitOfEvent(e)).join('')).toBe('0123456789*#ABCD');
    expect(digitOfEvent(16)).toBeUndefined();
    expect(eventOfDigit('#')).toBe(11);
    expect(parseDtmfDigit('d')).toBe('D');
    expect(parseDtmfDigit('E')).toBeUndefined();
    expect(parseDtmfDigit('12')).toBeUndefined();
  });
});

describe('TelephoneEventReceiver (RFC 4733 2.5.2)', () => {
  it('reports one digit per event: start, updates, end and its 3 retransmissions (2.5.1.4)', () => {
    const { r, digits, starts } = receiver();
    r.onRtp(evPkt(1, 1000, 5, false, 0, true), 0);
    r.onRtp(evPkt(2, 1000, 5, false, 400), 50);
    r.onRtp(evPkt(3, 1000, 5, false, 800), 100);
    r.onRtp(evPkt(4, 1000, 5, true, 1280), 160);
    r.onRtp(evPkt(5, 1000, 5, true, 1280), 210);
    r.onRtp(evPkt(6, 1000, 5, true, 1280), 260);
    r.tick(2000);
    expect(digits).toEqual([{ digit: '5', durationMs: 160, startedAtMs: 0, endedBy: 'end-bit' }]);
    expect(starts).toEqual(['5']);
    expect(r.counters.duplicates).toBe(2);
  });

  it('yields the digit when the start packet was lost (first packet seen is an update)', () => {
    const { r, digits } = receiver();
    r.onRtp(evPkt(2, 5000, 11, false, 400), 50);
    r.onRtp(evPkt(3, 5000, 11, true, 800), 100);
    expect(digits.map((d) => d.digit)).toEqual(['#']);
  });

  it('a start without any end packet yields one digit after the timeout (end packets lost)', () => {
    const { r, digits } = receiver();
    r.onRtp(evPkt(1, 9000, 1, false, 0, true), 0);
    r.onRtp(evPkt(2, 9000, 1, false, 400), 50);
    r.tick(400);
    expect(digits).toEqual([]);
    r.tick(550);
    expect(digits).toEqual([{ digit: '1', durationMs: 50, startedAtMs: 0, endedBy: 'timeout' }]);
    r.onRtp(evPkt(3, 9000, 1, true, 800), 600); // a very late end of the same event
    expect(digits).toHaveLength(1);
  });

  it('a new timestamp ends an unfinished event and starts the next; the same digit twice is two digits', () => {
    const { r, digits } = receiver();
    r.onRtp(evPkt(1, 100, 9, false, 0, true), 0);
    r.onRtp(evPkt(2, 2000, 9, false, 0, true), 300);
    r.onRtp(evPkt(3, 2000, 9, true, 640), 380);
    expect(digits.map((d) => [d.digit, d.endedBy])).toEqual([['9', 'next-event'], ['9', 'end-bit']]);
  });

  it('drops reordered packets of an older event and ignores non-DTMF events', () => {
    const { r, digits } = receiver();
    r.onRtp(evPkt(10, 0xfffffff0, 2, true, 800, true), 0); // wraps past 2^32 next
    r.onRtp(evPkt(12, 0x10, 3, true, 800, true), 100);
    r.onRtp(evPkt(11, 0xfffffff0, 2, false, 400), 101);
    r.onRtp(evPkt(13, 0x500, 16, true, 800, true), 200); // event 16 (flash) is not a key
    r.onRtp(Buffer.from(new RtpPacket({ payloadType: 101, sequenceNumber: 14, timestamp: 0x600, ssrc: 7, payload: Buffer.from([1]) }).encode()), 210);
    expect(digits.map((d) => d.digit)).toEqual(['2', '3']);
    expect(r.counters).toMatchObject({ stale: 1, otherEvents: 1, malformed: 1 });
  });

  it('a restarted stream (new SSRC, or timestamps far behind) does not make later keys look stale', () => {
    const { r, digits } = receiver();
    r.onRtp(evPkt(1, 5_000_000, 1, true, 800, true), 0);
    r.onRtp(evPkt(1, 100, 2, true, 800, true, 101, 8), 100); // new SSRC, lower timestamp
    r.onRtp(evPkt(2, 100, 2, true, 800, false, 101, 8), 120); // its retransmission: still one
    r.onRtp(evPkt(3, 100 - 8000 * 60, 3, true, 800, true, 101, 8), 200); // same SSRC, 60 s back
    expect(digits.map((d) => d.digit)).toEqual(['1', '2', '3']);
  });

  it('uses the negotiated clock for the duration (48 kHz telephone-event of an Opus room)', () => {
    const { r, digits } = receiver(48000);
    r.onRtp(evPkt(1, 0, 0, true, 4800, true), 0);
    expect(digits[0]!.durationMs).toBe(100);
  });
});

describe('TelephoneEventSender (RFC 4733 2.5.1)', () => {
  function run(digits: string, durationMs: number, ticks: number) {
    const stream = new SendStream(8000, 0x1234);
    const out: RtpPacket[] = [];
    const s = new TelephoneEventSender({ payloadType: 96, stream, send: (b) => out.push(RtpPacket.decode(b)) });
    for (const d of digits) s.enqueue(d as '1', durationMs);
    const activeAt: boolean[] = [];
    for (let i = 0; i < ticks; i++) {
      s.tick(i * 20);
      activeAt.push(s.active);
      stream.ts = (stream.ts + 160) >>> 0; // the audio clock advances each 20 ms
    }
    return { out, stream, activeAt, s };
  }

  it('sends start (marker, event-start timestamp), 50 ms updates, then 3 end packets on the audio SSRC and sequence', () => {
    const seq0 = 0;
    const { out, s } = run('7', 160, 40);
    const stream = out[0]!;
    expect(out.every((p) => p.payloadType === 96 && p.ssrc === 0x1234)).toBe(true);
    expect(out.every((p) => p.timestamp === stream.timestamp)).toBe(true);
    expect(out.map((p) => p.marker)).toEqual([true, ...Array(out.length - 1).fill(false)]);
    const evs = out.map((p) => TelephoneEvent.decode(p.payload));
    expect(evs.every((e) => e.event === 7)).toBe(true);
    expect(evs.filter((e) => e.end)).toHaveLength(3);
    expect(evs.slice(-3).every((e) => e.end && e.duration === 1280)).toBe(true);
    expect(evs.slice(0, -3).every((e) => !e.end)).toBe(true);
    const durations = evs.map((e) => e.duration);
    expect(durations[0]).toBe(160); // the first 20 ms frame, never zero
    expect(durations).toEqual([...durations].sort((a, b) => a - b)); // never decreasing
    const seqs = out.map((p) => (p.sequenceNumber - out[0]!.sequenceNumber) & 0xffff);
    expect(seqs).toEqual(seqs.map((_, i) => i + seq0));
    expect(s.digitsSent).toBe(1);
  });

  it('what it sends, the receiver reads back as exactly the digits queued, in order', () => {
    const { out } = run('159#', 100, 200);
    const { r, digits } = receiver();
    out.forEach((p, i) => r.onRtp(p.encode(), i));
    expect(digits.map((d) => d.digit).join('')).toBe('159#');
    expect(digits.every((d) => d.durationMs === 100)).toBe(true);
  });

  it('each digit gets a new timestamp from the audio clock at its start, and is idle between digits', () => {
    const { out, activeAt } = run('12', 100, 60);
    const tss = [...new Set(out.map((p) => p.timestamp))];
    expect(tss).toHaveLength(2);
    expect(((tss[1]! - tss[0]!) | 0) > 800).toBe(true);
    expect(activeAt.includes(false)).toBe(true);
    expect(activeAt.at(-1)).toBe(false);
  });
});

describe('fuzz: telephone-event input never escapes as an exception', () => {
  // a small deterministic generator (xorshift32), so a failure names its seed
  function rng(seed: number): () => number {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 0x100000000;
    };
  }

  it('TelephoneEvent.decode throws only TelephoneEventDecodeError, and only below 4 bytes', () => {
    const r = rng(4733);
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(Array.from({ length: Math.floor(r() * 12) }, () => Math.floor(r() * 256)));
      if (b.length < 4) expect(() => TelephoneEvent.decode(b)).toThrow(TelephoneEventDecodeError);
      else expect(TelephoneEvent.decode(b).encode()).toEqual(Buffer.from([b[0]!, b[1]! & 0xbf, b[2]!, b[3]!])); // R bit cleared on encode
    }
  });

  it('the receiver takes random RTP (any length, flags, timestamps) without throwing and reports sane digits', () => {
    const r = rng(2833);
    const { r: rx, digits } = receiver();
    for (let i = 0; i < 5000; i++) {
      const header = Buffer.alloc(12);
      header[0] = 0x80 | (r() < 0.1 ? 0x20 : 0); // sometimes the padding bit
      header[1] = 101;
      header.writeUInt16BE(i & 0xffff, 2);
      header.writeUInt32BE(Math.floor(r() * 8) * 800, 4); // few timestamps: many repeats
      const payload = Buffer.from(Array.from({ length: Math.floor(r() * 8) }, () => Math.floor(r() * 256)));
      rx.onRtp(Buffer.concat([header, payload]), i);
      if (i % 50 === 0) rx.tick(i);
    }
    expect(digits.every((d) => /^[0-9*#A-D]$/.test(d.digit) && d.durationMs >= 0)).toBe(true);
    expect(rx.counters.malformed).toBeGreaterThan(0);
  });
});

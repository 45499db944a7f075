import { describe, expect, it } from 'vitest';
import { ReceiveStatistics } from '../../../bridge/jitter/receive-statistics.ts';
import { roundTripMs } from '../../../bridge/jitter/stream-quality.ts';
import { ReportBlock, ntpFromUnixMs } from '../../../rtp/index.ts';

/** Feed seqs (16-bit) with 20 ms spacing at 8 kHz, arrival exactly on time unless `arrival` says. */
function feed(st: ReceiveStatistics, seqs: number[], arrival?: (i: number) => number): void {
  seqs.forEach((seq, i) => st.onRtp(seq & 0xffff, (seq * 160) >>> 0, arrival ? arrival(i) : seq * 20));
}
const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);

describe('ReceiveStatistics (RFC 3550 A.1, A.3, A.8)', () => {
  it('in order: probation takes the first packet (A.1 MIN_SEQUENTIAL = 2), then nothing is lost', () => {
    const st = new ReceiveStatistics(7, 8000);
    feed(st, range(100, 100));
    const s = st.snapshot();
    expect(s.packetsReceived).toBe(99); // base_seq is the second packet
    expect(s.packetsExpected).toBe(99);
    expect(s.cumulativeLost).toBe(0);
    expect(s.extendedHighestSequence).toBe(199);
    const rb = st.reportBlock(5000);
    expect(rb.fractionLost).toBe(0);
    expect(rb.cumulativeLost).toBe(0);
  });

  it('loss: cumulative and per-interval fraction (A.3), the fraction restarting each report', () => {
    const st = new ReceiveStatistics(7, 8000);
    const lost = new Set([120, 140, 150, 151, 190]);
    feed(st, range(100, 100).filter((s) => !lost.has(s)));
    const rb = st.reportBlock(5000);
    expect(rb.cumulativeLost).toBe(5);
    expect(rb.fractionLost).toBe(Math.floor((5 * 256) / 99));
    expect(st.snapshot().lossPercent).toBeCloseTo((100 * 5) / 99, 6);
    feed(st, range(200, 50));
    const rb2 = st.reportBlock(6000);
    expect(rb2.fractionLost).toBe(0);
    expect(rb2.cumulativeLost).toBe(5);
    expect(rb2.extendedHighestSequence).toBe(249);
  });

  it('reordering is not loss; it is counted as out of order', () => {
    const st = new ReceiveStatistics(7, 8000);
    const seqs = range(100, 50);
    [seqs[20], seqs[21]] = [seqs[21]!, seqs[20]!];
    feed(st, seqs);
    const s = st.snapshot();
    expect(s.cumulativeLost).toBe(0);
    expect(s.outOfOrder).toBe(1);
    expect(s.duplicates).toBe(0);
    expect(s.extendedHighestSequence).toBe(149);
  });

  it('sequence wrap extends the highest sequence number by a cycle', () => {
    const st = new ReceiveStatistics(7, 8000);
    feed(st, range(65500, 100));
    const s = st.snapshot();
    expect(s.extendedHighestSequence).toBe(65536 + (65599 - 65536));
    expect(s.cumulativeLost).toBe(0);
    expect(st.reportBlock(0).extendedHighestSequence).toBe(65599);
  });

  it('a duplicate counts as received (RFC 3550 6.4.1: lost may go negative) and as a duplicate', () => {
    const st = new ReceiveStatistics(7, 8000);
    feed(st, [...range(100, 30), 110]);
    const s = st.snapshot();
    expect(s.duplicates).toBe(1);
    expect(s.cumulativeLost).toBe(-1);
    expect(st.reportBlock(0).cumulativeLost).toBe(-1);
    expect(st.reportBlock(0).encode().readUIntBE(5, 3)).toBe(0xffffff); // signed 24-bit
  });

  it('a huge jump is taken as a restart only when the next packet follows it', () => {
    const st = new ReceiveStatistics(7, 8000);
    feed(st, range(100, 10));
    st.onRtp(30000, 0, 0); // stray
    expect(st.snapshot().extendedHighestSequence).toBe(109);
    st.onRtp(110, 110 * 160, 110 * 20);
    st.onRtp(40000, 0, 0);
    st.onRtp(40001, 160, 20); // follows: the sender restarted
    expect(st.snapshot().extendedHighestSequence).toBe(40001);
    expect(st.snapshot().cumulativeLost).toBe(0);
  });

  it('interarrival jitter: 0 on a perfect clock, ≈ the alternating deviation otherwise (A.8)', () => {
    const steady = new ReceiveStatistics(7, 8000);
    feed(steady, range(0, 200));
    expect(steady.snapshot().jitter).toBe(0);
    const jittery = new ReceiveStatistics(7, 8000);
    // every other packet 10 ms late: |D| = 10 ms = 80 units each time
    feed(jittery, range(0, 400), (i) => i * 20 + (i % 2 ? 10 : 0));
    const s = jittery.snapshot();
    expect(s.jitter).toBeGreaterThanOrEqual(78);
    expect(s.jitter).toBeLessThanOrEqual(80);
    expect(s.jitterMs).toBeCloseTo(s.jitter / 8, 0);
    expect(jittery.reportBlock(9000).jitter).toBe(s.jitter);
  });

  it('LSR is the middle 32 bits of the last SR, DLSR the delay since it in 1/65536 s', () => {
    const st = new ReceiveStatistics(7, 8000);
    feed(st, range(0, 5));
    expect(st.reportBlock(100).lastSr).toBe(0);
    st.onSenderReport(0x12345678, 0x9abcdef0, 1000);
    const rb = st.reportBlock(1500);
    expect(rb.lastSr).toBe(0x56789abc);
    expect(rb.delaySinceLastSr).toBe(32768);
  });

  it('round trip from a report block: A − LSR − DLSR (RFC 3550 6.4.1)', () => {
    const sentAt = 1_700_000_000_000;
    const ntp = ntpFromUnixMs(sentAt);
    const lsr = (((ntp.msw & 0xffff) << 16) | (ntp.lsw >>> 16)) >>> 0;
    const block = new ReportBlock(1, 0, 0, 0, 0, lsr, 65536 / 4); // the room held it 250 ms
    expect(roundTripMs(block, sentAt + 250 + 40)).toBeCloseTo(40, 0);
  });
});

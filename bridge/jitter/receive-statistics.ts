import { ReportBlock } from '../../rtp/index.ts';

/** RFC 3550 A.1 constants. */
const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;
/** Remembered sequence numbers for duplicate detection (statistics only). */
const SEEN_WINDOW = 1024;

/** What one inbound stream looks like from here (RFC 3550 6.4.1 figures plus counters). */
export interface ReceptionSnapshot {
  ssrc: number;
  clockRate: number;
  /** Packets counted by RFC 3550 A.1 (includes late and duplicate ones, as the RFC says). */
  packetsReceived: number;
  /** RFC 3550 A.3: extended highest − base + 1. */
  packetsExpected: number;
  /** RFC 3550 A.3: expected − received (may be negative with duplicates). */
  cumulativeLost: number;
  /** cumulativeLost / expected, percent (0 when nothing is expected yet). */
  lossPercent: number;
  /** Fraction lost of the last reporting interval, 0-255 (RFC 3550 A.3). */
  fractionLost: number;
  extendedHighestSequence: number;
  /** RFC 3550 A.8 interarrival jitter, in timestamp units and in ms. */
  jitter: number;
  jitterMs: number;
  /** Packets that arrived behind the highest sequence number (reordered or late). */
  outOfOrder: number;
  duplicates: number;
}

/**
 * Reception statistics of one inbound RTP stream (one SSRC): RFC 3550 A.1 sequence validation
 * with probation and wrap, A.3 loss (cumulative and per interval), A.8 interarrival jitter, and
 * the LSR/DLSR of the sender's last SR (6.4.1). `arrivalMs` is a monotonic clock in ms.
 */
export class ReceiveStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private lastFraction = 0;
  private transit: number | undefined;
  private lastTs: number | undefined;
  private jitterQ4 = 0; // jitter × 16, kept as a float (A.8 uses the same 1/16 gain)
  private outOfOrder = 0;
  private duplicates = 0;
  private readonly seen = new Int32Array(SEEN_WINDOW).fill(-1);
  private lsr = 0;
  private started = false;
  private lsrArrivalMs: number | undefined;

  constructor(ssrc: number, clockRate: number) {
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
  }

  /** Account one RTP packet. Returns false while in probation or when A.1 rejects it. */
  onRtp(seq: number, rtpTs: number, arrivalMs: number): boolean {
    if (!this.updateSeq(seq & 0xffff)) return false;
    this.updateJitter(rtpTs >>> 0, arrivalMs);
    return true;
  }

  /** RFC 3550 6.4.1: remember the middle 32 bits of an SR's NTP timestamp and when it came. */
  onSenderReport(ntpMsw: number, ntpLsw: number, arrivalMs: number): void {
    this.lsr = (((ntpMsw & 0xffff) << 16) | (ntpLsw >>> 16)) >>> 0;
    this.lsrArrivalMs = arrivalMs;
  }

  /** True once the stream passed probation (there is something to report). */
  get valid(): boolean {
    return this.probation === 0;
  }

  /** A report block about this source; closes the reporting interval (RFC 3550 A.3). */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    // RFC 3550 A.3: fraction = (lost_interval << 8) / expected_interval, 0 when nothing lost
    this.lastFraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const dlsr = this.lsrArrivalMs === undefined ? 0 : Math.round(((nowMs - this.lsrArrivalMs) / 1000) * 65536);
    return new ReportBlock(
      this.ssrc,
      Math.min(255, this.lastFraction),
      clampLost(expected - this.received),
      this.extendedMax() >>> 0,
      Math.floor(this.jitterQ4 / 16) >>> 0,
      this.lsrArrivalMs === undefined ? 0 : this.lsr, // RFC 3550 6.4.1: 0 when no SR received yet
      this.lsrArrivalMs === undefined ? 0 : dlsr >>> 0,
    );
  }

  snapshot(): ReceptionSnapshot {
    const expected = this.valid ? this.expected() : 0;
    const lost = this.valid ? expected - this.received : 0;
    const jitter = this.jitterQ4 / 16;
    return {
      ssrc: this.ssrc,
      clockRate: this.clockRate,
      packetsReceived: this.received,
      packetsExpected: expected,
      cumulativeLost: lost,
      lossPercent: expected > 0 ? (100 * lost) / expected : 0,
      fractionLost: this.lastFraction,
      extendedHighestSequence: this.valid ? this.extendedMax() : 0,
      jitter: Math.floor(jitter),
      jitterMs: (jitter * 1000) / this.clockRate,
      outOfOrder: this.outOfOrder,
      duplicates: this.duplicates,
    };
  }

  private extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  private expected(): number {
    return this.extendedMax() - this.baseSeq + 1;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
    this.seen.fill(-1);
  }

  /** RFC 3550 A.1 update_seq(), plus duplicate detection over the last SEEN_WINDOW numbers. */
  private updateSeq(seq: number): boolean {
    if (!this.started) {
      // first packet: A.1 "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL"
      this.started = true;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
    }
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.markSeen(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    let ext: number;
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD; // wrapped
      this.maxSeq = seq;
      ext = this.extendedMax();
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // a very large jump: accept only if the next packet follows it (the sender restarted)
      if (seq === this.badSeq) {
        this.initSeq(seq);
        ext = seq;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    } else {
      // duplicate or reordered packet (A.1: counted as received)
      this.outOfOrder++;
      ext = this.cycles + seq - (seq > this.maxSeq ? RTP_SEQ_MOD : 0);
      if (this.seen[ext % SEEN_WINDOW] === ext) this.duplicates++;
    }
    this.markSeen(ext);
    this.received++;
    return true;
  }

  private markSeen(ext: number): void {
    this.seen[ext % SEEN_WINDOW] = ext;
  }

  /** RFC 3550 A.8: J += (|D(i-1,i)| − J) / 16, with arrival times in timestamp units. */
  private updateJitter(ts: number, arrivalMs: number): void {
    // Packets of one video frame share a timestamp but leave the sender spread out: only the
    // first packet of each timestamp is measured (DEVIATION(RFC 3550 A.8): per frame, not per packet).
    if (ts === this.lastTs) return;
    this.lastTs = ts;
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - ts;
    if (this.transit !== undefined) {
      let d = transit - this.transit;
      // the 32-bit timestamp may wrap between two packets
      if (d > 0x80000000) d -= 0x100000000;
      else if (d < -0x80000000) d += 0x100000000;
      d = Math.abs(d);
      this.jitterQ4 += d - this.jitterQ4 / 16;
    }
    this.transit = transit;
  }
}

/** RFC 3550 6.4.1: cumulative lost is a signed 24-bit field; clamp rather than wrap. */
function clampLost(lost: number): number {
  return Math.max(-0x800000, Math.min(0x7fffff, lost));
}

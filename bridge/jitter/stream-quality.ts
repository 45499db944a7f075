import {
  ReceiverReport, SenderReport, decodeRtcpCompound, ntpFromUnixMs, rtpSequence, rtpSsrc, rtpTimestamp, type ReportBlock,
} from '../../rtp/index.ts';
import { ReceiveStatistics, type ReceptionSnapshot } from './receive-statistics.ts';

/** What the room says about a stream we send it (a report block about our SSRC, RFC 3550 6.4). */
export interface RemoteReception {
  /** Our SSRC the block is about. */
  ssrc: number;
  /** Fraction lost in the room's last interval, percent (RFC 3550 6.4.1 fraction / 256). */
  fractionLostPercent: number;
  cumulativeLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter the room measured, timestamp units and ms (our clock rate). */
  jitter: number;
  jitterMs: number;
  /** RFC 3550 6.4.1 round trip (A − LSR − DLSR), ms; absent until the room echoes one of our SRs. */
  rttMs?: number;
  /** The DLSR of the last block, ms (how long the room held our SR before reporting). */
  dlsrMs: number;
  /** Report blocks received about this stream. */
  reports: number;
}

/** Both directions of one media stream's quality, for CallMedia stats. */
export interface StreamQualitySnapshot {
  /** The room's stream as we receive it. */
  inbound?: ReceptionSnapshot;
  /** Our stream as the room receives it (from its SR/RR report blocks). */
  remote?: RemoteReception;
  /** RTCP datagrams from the room that could not be decoded. */
  rtcpMalformed: number;
}

/**
 * Reception quality of one media kind (audio or video) of a call, both ways: per-SSRC receive
 * statistics of the room's RTP (RFC 3550 A.1/A.3/A.8), the room's SRs (for LSR/DLSR), and the
 * room's report blocks about our stream (loss, jitter, RTT). `monoMs` is performance.now()-like,
 * `unixMs` Date.now()-like (for NTP arithmetic).
 */
export class StreamQuality {
  private clockRate: number;
  private inbound: ReceiveStatistics | undefined;
  private remote: RemoteReception | undefined;
  private rtcpMalformed = 0;

  constructor(clockRate: number) {
    this.clockRate = clockRate;
  }

  /** The negotiated clock rate changed (re-INVITE): statistics restart. */
  setClockRate(rate: number): void {
    if (rate === this.clockRate) return;
    this.clockRate = rate;
    this.inbound = undefined;
  }

  /** One valid RTP packet from the room. A new SSRC restarts the statistics (RFC 3550 8.2). */
  onRtp(buf: Buffer, monoMs: number): void {
    const ssrc = rtpSsrc(buf);
    if (this.inbound?.ssrc !== ssrc) this.inbound = new ReceiveStatistics(ssrc, this.clockRate);
    this.inbound.onRtp(rtpSequence(buf), rtpTimestamp(buf), monoMs);
  }

  /**
   * One RTCP datagram from the room. `ourSsrc` is the stream we send on this port (report blocks
   * about other SSRCs are ignored). Malformed datagrams are counted, never thrown.
   */
  onRtcp(buf: Buffer, ourSsrc: number | undefined, monoMs: number, unixMs: number): void {
    let packets;
    try {
      packets = decodeRtcpCompound(buf);
    } catch {
      this.rtcpMalformed++;
      return;
    }
    for (const p of packets) {
      if (p instanceof SenderReport) {
        if (this.inbound?.ssrc === p.ssrc) this.inbound.onSenderReport(p.ntpMsw, p.ntpLsw, monoMs);
        this.onReports(p.reports, ourSsrc, unixMs);
      } else if (p instanceof ReceiverReport) {
        this.onReports(p.reports, ourSsrc, unixMs);
      }
    }
  }

  /** Report blocks for our next SR/RR (empty until the room's stream passed probation). */
  reportBlocks(monoMs: number): ReportBlock[] {
    const s = this.inbound;
    return s?.valid ? [s.reportBlock(monoMs)] : [];
  }

  snapshot(): StreamQualitySnapshot {
    return {
      ...(this.inbound?.valid ? { inbound: this.inbound.snapshot() } : {}),
      ...(this.remote ? { remote: { ...this.remote } } : {}),
      rtcpMalformed: this.rtcpMalformed,
    };
  }

  private onReports(blocks: readonly ReportBlock[], ourSsrc: number | undefined, unixMs: number): void {
    if (ourSsrc === undefined) return;
    for (const b of blocks) {
      if (b.ssrc !== ourSsrc >>> 0) continue;
      const prev = this.remote;
      this.remote = {
        ssrc: b.ssrc,
        fractionLostPercent: (b.fractionLost * 100) / 256,
        cumulativeLost: b.cumulativeLost,
        extendedHighestSequence: b.extendedHighestSequence,
        jitter: b.jitter,
        jitterMs: (b.jitter * 1000) / this.clockRate,
        dlsrMs: (b.delaySinceLastSr * 1000) / 65536,
        ...(b.lastSr !== 0 ? { rttMs: roundTripMs(b, unixMs) } : prev?.rttMs !== undefined ? { rttMs: prev.rttMs } : {}),
        reports: (prev?.reports ?? 0) + 1,
      };
    }
  }
}

/** RFC 3550 6.4.1: RTT = A − LSR − DLSR, all in the middle 32 bits of NTP (1/65536 s). */
export function roundTripMs(block: ReportBlock, arrivalUnixMs: number): number {
  const ntp = ntpFromUnixMs(arrivalUnixMs);
  const a = (((ntp.msw & 0xffff) << 16) | (ntp.lsw >>> 16)) >>> 0;
  const rtt = (a - block.lastSr - block.delaySinceLastSr) | 0; // wrap-safe difference
  return Math.max(0, (rtt * 1000) / 65536);
}

import { randomInt } from 'node:crypto';

/**
 * State of one RTP stream the gateway originates (toward the room): stable SSRC, continuous
 * sequence numbers and timestamps from random bases (RFC 3550 5.1), and the counters a
 * sender report needs (RFC 3550 6.4.1).
 */
export class SendStream {
  readonly ssrc: number;
  readonly clockRate: number;
  seq: number;
  /** Timestamp of the next packet to send. */
  ts: number;
  packets = 0;
  /** Payload octets sent (RFC 3550 6.4.1 sender's octet count). */
  octets = 0;
  lastTs = 0;
  lastWallMs = 0;

  constructor(clockRate: number, ssrc = randomInt(1, 0xffffffff)) {
    this.ssrc = ssrc >>> 0;
    this.clockRate = clockRate;
    this.seq = randomInt(0, 0x10000); // RFC 3550 5.1: random initial sequence number
    this.ts = randomInt(0, 0xffffffff); // RFC 3550 5.1: random initial timestamp
  }

  /** Take the next sequence number. */
  nextSeq(): number {
    const s = this.seq;
    this.seq = (s + 1) & 0xffff;
    return s;
  }

  /** Record a packet just sent with timestamp `ts` and `payloadBytes` of payload. */
  record(ts: number, payloadBytes: number, wallMs: number): void {
    this.packets = (this.packets + 1) >>> 0;
    this.octets = (this.octets + payloadBytes) >>> 0;
    this.lastTs = ts >>> 0;
    this.lastWallMs = wallMs;
  }

  /** RTP timestamp corresponding to wall time `wallMs` (RFC 3550 6.4.1: same instant as the NTP timestamp). */
  rtpTimestampAt(wallMs: number): number {
    return (this.lastTs + Math.round(((wallMs - this.lastWallMs) * this.clockRate) / 1000)) >>> 0;
  }
}

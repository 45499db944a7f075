const SEQ_MOD = 0x10000;
const HALF = 0x8000;

/**
 * RFC 3711 3.3.1 and Appendix A: the receiver's rollover counter (ROC) and highest sequence
 * number s_l of one SSRC, and the estimate of the 48-bit index i = 2^16·ROC + SEQ of a packet.
 */
export class RolloverState {
  private roc = 0;
  private sl = -1;

  /** Appendix A: the guessed ROC `v` for `seq`, without changing state. */
  estimateRoc(seq: number): number {
    const { roc, sl } = this;
    if (sl < 0) return roc; // first packet of the stream: ROC 0, s_l = SEQ (3.3.1)
    if (sl < HALF) return seq - sl > HALF ? roc - 1 : roc;
    return sl - HALF > seq ? roc + 1 : roc;
  }

  /** Appendix A: updates ROC and s_l once the packet with guess `v` authenticated. */
  update(seq: number, v: number): void {
    if (this.sl < 0 || v > this.roc) {
      this.roc = v;
      this.sl = seq;
    } else if (v === this.roc && seq > this.sl) {
      this.sl = seq;
    }
  }

  /**
   * A sender's own counter: increments ROC when SEQ wraps (3.3.1). Returns the ROC for `seq`.
   * A SEQ behind s_l (a resend) keeps the current ROC and s_l: senders here count upwards.
   */
  next(seq: number): number {
    if (this.sl < 0) {
      this.sl = seq;
      return this.roc;
    }
    const ahead = (seq - this.sl) & 0xffff;
    if (ahead !== 0 && ahead < HALF) {
      if (seq < this.sl) this.roc = (this.roc + 1) >>> 0;
      this.sl = seq;
    }
    return this.roc;
  }

  /** Seeds a sender's state (tests; RFC 4568 lets the offer state an initial ROC implicitly 0). */
  set(roc: number, sl: number): void {
    this.roc = roc;
    this.sl = sl;
  }
}

/** The 48-bit packet index i = 2^16·ROC + SEQ (3.3.1), as an exact double. */
export function packetIndex(roc: number, seq: number): number {
  return roc * SEQ_MOD + seq;
}

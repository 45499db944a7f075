export interface MediaLivenessOptions {
  /** Silence of both RTP and RTCP from the room that ends the call, ms. 0 disables. */
  timeoutMs: number;
}

/**
 * Media inactivity rule of one call: it fires once when neither RTP nor RTCP came from the room
 * for `timeoutMs`. RTCP counts as life (RFC 3550 6.2: receivers keep reporting during DTX and
 * silence suppression), and a room that said it will not send (sendonly from us / inactive,
 * RFC 3264 8.4 hold) is never timed out. Driven by an injected time (`check(nowMs)`).
 */
export class MediaLiveness {
  private lastHeardMs: number;
  private held = false;
  private fired = false;

  constructor(private readonly opts: MediaLivenessOptions, nowMs: number) {
    this.lastHeardMs = nowMs;
  }

  /** An RTP or RTCP datagram from the room. */
  heard(nowMs: number): void {
    this.lastHeardMs = nowMs;
  }

  /** The room will not send (it put the call on hold) or sends again (resumed). */
  setRoomSending(sending: boolean, nowMs: number): void {
    this.held = !sending;
    this.lastHeardMs = nowMs; // a resumed call gets the full timeout again
  }

  /** True exactly once, when the timeout has passed. */
  check(nowMs: number): boolean {
    if (this.fired || this.held || this.opts.timeoutMs <= 0) return false;
    if (nowMs - this.lastHeardMs < this.opts.timeoutMs) return false;
    this.fired = true;
    return true;
  }

  /** ms since the room was last heard. */
  silentForMs(nowMs: number): number {
    return nowMs - this.lastHeardMs;
  }
}

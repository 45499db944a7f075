import type { types } from 'mediasoup';
import type { NotificationName, PeerInfo, PeerKind } from './protocol.ts';

/** Sends one notification to this peer's socket (dropped if the socket is gone). */
export type NotifyFn = (notification: NotificationName, data: Record<string, unknown>) => void;

/**
 * One participant of a room and the mediasoup objects it owns. Closing a peer closes its
 * transports, which cascades in mediasoup to their producers and consumers. Idempotent.
 */
export class MeetingPeer {
  readonly transports = new Map<string, types.WebRtcTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  /** The client's receive capabilities (setRtpCapabilities); needed before consume. */
  rtpCapabilities?: types.RtpCapabilities;
  private closedFlag = false;

  constructor(
    readonly id: string,
    readonly displayName: string,
    readonly kind: PeerKind,
    readonly notify: NotifyFn,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  info(): PeerInfo {
    return {
      peerId: this.id,
      displayName: this.displayName,
      kind: this.kind,
      producers: [...this.producers.values()].map((p) => ({ producerId: p.id, kind: p.kind })),
    };
  }

  /** The transport with this id, or an error naming it. */
  transport(transportId: string): types.WebRtcTransport {
    const t = this.transports.get(transportId);
    if (!t) throw new Error(`no such transport: ${transportId}`);
    return t;
  }

  consumer(consumerId: string): types.Consumer {
    const c = this.consumers.get(consumerId);
    if (!c) throw new Error(`no such consumer: ${consumerId}`);
    return c;
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const t of this.transports.values()) t.close();
    // transport close events remove children; clear anyway in case of a dead worker
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }
}

/**
 * Chooses the ONE meeting participant whose video the room sees (first cut, issue #2):
 * the most recently joined peer that has a video producer. The choice is sticky: it changes only
 * when the chosen peer leaves or its video producer closes (the protocol has no way to pause a
 * consumer we no longer want, so switching on every join would leave unwanted streams flowing).
 * Pure state, no I/O: the leg feeds it notifications and asks what to consume.
 */
export interface VideoSource {
  peerId: string;
  producerId: string;
}

interface PeerState {
  joinSeq: number;
  /** Video producers of the peer, oldest first. */
  videoProducers: string[];
}

export class VideoSourceSelector {
  private readonly peers = new Map<string, PeerState>();
  private nextSeq = 0;
  private chosen: VideoSource | undefined;

  /** @param selfPeerId the leg's own peer: never a source. */
  constructor(private readonly selfPeerId: string) {}

  peerJoined(peerId: string): void {
    if (peerId === this.selfPeerId || this.peers.has(peerId)) return;
    this.peers.set(peerId, { joinSeq: this.nextSeq++, videoProducers: [] });
  }

  peerLeft(peerId: string): void {
    this.peers.delete(peerId);
    if (this.chosen?.peerId === peerId) this.chosen = undefined;
  }

  videoProducerAdded(peerId: string, producerId: string): void {
    if (peerId === this.selfPeerId) return;
    this.peerJoined(peerId); // a producer may be announced for a peer we have not seen join
    const peer = this.peers.get(peerId)!;
    if (!peer.videoProducers.includes(producerId)) peer.videoProducers.push(producerId);
  }

  /** A video producer closed (or could not be consumed): it is never chosen again. */
  videoProducerClosed(producerId: string): void {
    for (const peer of this.peers.values()) {
      const i = peer.videoProducers.indexOf(producerId);
      if (i >= 0) peer.videoProducers.splice(i, 1);
    }
    if (this.chosen?.producerId === producerId) this.chosen = undefined;
  }

  get current(): VideoSource | undefined {
    return this.chosen;
  }

  /** The source to show: the current one if still there, otherwise a new choice (or none). */
  select(): VideoSource | undefined {
    if (this.chosen) return this.chosen;
    let best: { peerId: string; state: PeerState } | undefined;
    for (const [peerId, state] of this.peers) {
      if (state.videoProducers.length === 0) continue;
      if (!best || state.joinSeq > best.state.joinSeq) best = { peerId, state };
    }
    if (!best) return undefined;
    this.chosen = { peerId: best.peerId, producerId: best.state.videoProducers[best.state.videoProducers.length - 1]! };
    return this.chosen;
  }
}

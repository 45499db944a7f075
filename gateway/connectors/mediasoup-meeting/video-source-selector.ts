/**
 * Chooses the ONE meeting participant whose video the room sees (voice-activated switching):
 * the active speaker when the meeting names one that has video, otherwise the most recently
 * joined peer with a video producer. The choice is sticky: it changes when another participant
 * with video becomes the active speaker, or when the chosen peer leaves or its video closes.
 * The leg's own peer (the room itself) is never chosen: a room never sees its own video.
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

  /**
   * The meeting names a new active speaker. Returns the new source when the choice changes
   * (the speaker has video and is not us), undefined when it stays.
   */
  speakerChanged(peerId: string): VideoSource | undefined {
    if (peerId === this.selfPeerId) return undefined;
    const peer = this.peers.get(peerId);
    const producerId = peer?.videoProducers[peer.videoProducers.length - 1];
    if (!producerId || this.chosen?.producerId === producerId) return undefined;
    this.chosen = { peerId, producerId };
    return this.chosen;
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

/**
 * Picks the meeting's active speaker from periodic audio levels (RFC 6464 levels averaged by
 * mediasoup's AudioLevelObserver). The loudest producer above the observer's threshold becomes
 * the speaker once it has been loudest for `holdIntervals` consecutive reports, so a cough or a
 * short interjection does not flip every room's video. Silence keeps the current speaker.
 * Pure state: the room feeds it reports and broadcasts what it returns.
 */
export class DominantSpeaker {
  private current: string | undefined;
  private candidate: string | undefined;
  private candidateCount = 0;

  constructor(private readonly holdIntervals = 2) {}

  get speaker(): string | undefined {
    return this.current;
  }

  /** A report: the loudest peer of this interval (undefined = silence). Returns the new speaker on a change. */
  report(loudestPeerId: string | undefined): string | undefined {
    if (loudestPeerId === undefined || loudestPeerId === this.current) {
      this.candidate = undefined;
      this.candidateCount = 0;
      return undefined;
    }
    if (loudestPeerId === this.candidate) this.candidateCount++;
    else {
      this.candidate = loudestPeerId;
      this.candidateCount = 1;
    }
    // The first speaker of a meeting is taken at once: nobody is shown yet.
    if (this.current !== undefined && this.candidateCount < this.holdIntervals) return undefined;
    this.current = loudestPeerId;
    this.candidate = undefined;
    this.candidateCount = 0;
    return loudestPeerId;
  }

  /** A peer left: it is no longer the speaker (nobody is until someone speaks). */
  forget(peerId: string): void {
    if (this.current === peerId) this.current = undefined;
    if (this.candidate === peerId) {
      this.candidate = undefined;
      this.candidateCount = 0;
    }
  }
}

/** RFC 3711 3.3.2: SRTP-WINDOW-SIZE; 64 is the minimum the RFC allows and what we keep. */
export const REPLAY_WINDOW_SIZE = 64;

/**
 * Replay list of one stream (RFC 3711 3.3.2): the highest authenticated index and which of the
 * 64 indices below it were seen. Each slot holds the full index last stored there, so a slot
 * left over from an older lap of the ring never reads as "seen".
 */
export class ReplayWindow {
  private highest = -1;
  private readonly slots = new Float64Array(REPLAY_WINDOW_SIZE).fill(-1);

  /** False for a replayed index or one too old for the window; call before authenticating. */
  check(index: number): boolean {
    if (index > this.highest) return true;
    if (this.highest - index >= REPLAY_WINDOW_SIZE) return false;
    return this.slots[index % REPLAY_WINDOW_SIZE] !== index;
  }

  /** Records an authenticated index (3.3.2: the list is updated only after authentication). */
  accept(index: number): void {
    this.slots[index % REPLAY_WINDOW_SIZE] = index;
    if (index > this.highest) this.highest = index;
  }
}

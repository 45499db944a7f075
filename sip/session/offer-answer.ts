/**
 * The offer/answer state of one session (RFC 3264 4, RFC 6337 2): at most one offer outstanding
 * in each dialog, whichever request or response carries it. Transitions are checked (STYLE 5).
 */
export type OfferAnswerState = 'stable' | 'local-offer' | 'remote-offer';

const TRANSITIONS: Record<OfferAnswerState, readonly OfferAnswerState[]> = {
  stable: ['local-offer', 'remote-offer'],
  'local-offer': ['stable'],   // answer received, or the offer was rejected (RFC 6337 3.1)
  'remote-offer': ['stable'],  // answered, or rejected by us
};

export class OfferAnswer {
  private current: OfferAnswerState = 'stable';

  get state(): OfferAnswerState {
    return this.current;
  }

  /** RFC 3261 14.1 / RFC 3311 5.1: a new offer may only be made in the stable state. */
  get canOffer(): boolean {
    return this.current === 'stable';
  }

  /** We sent an offer (re-INVITE, UPDATE, or a 2xx answering an INVITE without SDP). */
  localOffer(): void {
    this.to('local-offer');
  }

  /** The peer sent an offer. */
  remoteOffer(): void {
    this.to('remote-offer');
  }

  /** An answer to the outstanding offer (either side), or its rejection, closes the exchange. */
  settle(): void {
    if (this.current !== 'stable') this.to('stable');
  }

  private to(next: OfferAnswerState): void {
    if (!TRANSITIONS[this.current].includes(next)) {
      throw new Error(`illegal offer/answer transition ${this.current} -> ${next}`);
    }
    this.current = next;
  }
}

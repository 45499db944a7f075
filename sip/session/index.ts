/** Session-level helpers of the SIP layer: offer/answer, hold, 100rel, session timers. */
export { OfferAnswer, type OfferAnswerState } from './offer-answer.ts';
export { withDirection, directionOf, answerDirection, type Direction } from './sdp-direction.ts';
export { ReliableProvisionals, parseRAck, lists100rel, type RAck } from './reliable-provisional.ts';
export {
  SessionTimer, decideAsUas, parseSessionExpires, parseMinSe, supportsTimer, uasResponseHeaders,
  RFC_MIN_SE, DEFAULT_SESSION_EXPIRES, type Refresher, type SessionExpires, type UasDecision,
} from './session-timer.ts';

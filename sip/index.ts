/** Public surface of the SIP layer (docs/INTERFACES.md). */
export { SipStack, type SipStackOptions, type SipStackEvents, type RequestAuthorizer } from './stack.ts';
export { IncomingInvite, type IncomingInviteEvents } from './incoming-invite.ts';
export { OutgoingInvite, type OutgoingInviteOptions, type OutgoingInviteEvents, type AnsweredDialog } from './outgoing-invite.ts';
export { Dialog, type DialogEvents, type TerminatedBy, type ModifyResult } from './dialog.ts';
export {
  OfferAnswer, withDirection, directionOf, answerDirection, type Direction, type OfferAnswerState,
} from './session/index.ts';
export { SipRequest, SipResponse, SipHeaders, createResponse, reasonPhrase, type SipMessage } from './message.ts';
export { parseMessage, StreamFramer, type ParseOutcome } from './parser.ts';
export { SipError, ParseError, SipFailure } from './errors.ts';
export { SystemClock, ManualClock, type Clock, type TimerHandle } from './clock.ts';
export type { Logger } from './logger.ts';
export type { TransportName, Source, Endpoint, TransportStats, RateLimitOptions, TlsTransportOptions, WsTransportOptions } from './transport.ts';
export * as grammar from './grammar.ts';
export * from './auth/index.ts';
export * from './registrar/index.ts';
export * from './registration/index.ts';

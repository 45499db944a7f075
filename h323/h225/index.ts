// Public surface of H.225.0 call signalling (TCP, Q.931/TPKT): listener, outgoing calls, addressing.
export { H323Listener, type H323ListenerOptions } from './listener.ts';
export { placeCall, OutgoingH323Call, H323CallFailure, type PlaceCallOptions } from './outgoing-call.ts';
export { IncomingH323Call, type IncomingSetup, type AnswerOptions } from './incoming-call.ts';
export { H323Call, H225StateError, CallState, newGuid, newCallReference, type CallEnd, type CallStateValue, type FacilityEvent, type H323CallEvents } from './call.ts';
export { SignallingConnection, type H225Message, type TraceEvent } from './signalling-connection.ts';
export { calledMeeting, meetingFromAlias, type CalledMeetingInput } from './called-meeting.ts';
export { DEFAULT_CALL_TIMERS, systemClock, type CallTimers, type Clock, type Logger, type TimerHandle } from './support.ts';

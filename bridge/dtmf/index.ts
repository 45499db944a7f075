// bridge/dtmf: RFC 4733 telephone-events toward and from the room. Public surface.
export { TelephoneEvent, TelephoneEventDecodeError, TELEPHONE_EVENT_SIZE } from './telephone-event.ts';
export { TelephoneEventReceiver, type ReceivedDtmf, type TelephoneEventReceiverOptions, type TelephoneEventReceiverStats } from './telephone-event-receiver.ts';
export { TelephoneEventSender, type TelephoneEventSenderOptions } from './telephone-event-sender.ts';
export {
  clampDtmfDuration,
  digitOfEvent,
  eventOfDigit,
  parseDtmfDigit,
  DEFAULT_DTMF_DURATION_MS,
  MAX_DTMF_DURATION_MS,
  MIN_DTMF_DURATION_MS,
  type DtmfDigit,
} from './dtmf-digit.ts';
export { CallDtmf, type CallDtmfOptions, type CallDtmfStats } from './call-dtmf.ts';

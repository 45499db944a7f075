// Public surface of the H.245 control session (issue #5): the transport interface, the TCP
// transport, an in-memory pair, and the session.
export type { H245Channel } from './channel.ts';
export { TcpH245Channel, listenH245, connectH245, type H245Listener } from './tcp-channel.ts';
export { createMemoryChannelPair, type MemoryH245Channel } from './memory-channel.ts';
export { systemClock, type Clock, type TimerHandle } from './clock.ts';
export type { Logger } from './logger.ts';
export { ChannelRejectedError, H245Error, H245TimeoutError, SessionEndedError } from './errors.ts';
export { readMediaCapability, readTerminalCapabilitySet, type CapabilityDirection, type RemoteCapabilities, type RemoteCapability } from './capabilities.ts';
export { MasterSlaveDetermination, type MsdStatus } from './master-slave.ts';
export { H245Session } from './session.ts';
export {
  TERMINAL_TYPE_GATEWAY, type ClosedChannel, type CloseRequest, type FlowControl, type H245ObserverEvents,
  type H245SessionEvents, type H245SessionOptions, type H245Timers, type IncomingChannel, type OpenChannelRequest,
  type OpenedChannel, type UserInput,
} from './session-types.ts';

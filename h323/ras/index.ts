// Public surface of the RAS layer (H.225.0 clause 7): the gateway as a gatekeeper's endpoint.
export { RasTransport, DEFAULT_RAS_RETRIES, DEFAULT_RAS_TIMEOUT_MS, type IncomingRasRequest, type RasRequestOptions, type RasTransportOptions, type RasTransportStats } from './transport.ts';
export { openUdpRasSocket, type RasSocket } from './socket.ts';
export {
  RasEndpoint, type Admission, type GatekeeperPeer, type RasCall, type RasEndpointEvents, type RasEndpointOptions, type RasEndpointState,
  type RasEndpointStats, type RegistrationInfo,
} from './endpoint.ts';
export { RasClosedError, RasError, RasNotRegisteredError, RasNotUnderstoodError, RasRejectError, RasTimeoutError, type RasErrorCode } from './errors.ts';
export { systemClock, silentLogger, type Clock, type Logger, type TimerHandle } from './clock.ts';

/** Outbound registration client (RFC 3261 10.2). */
export { Registration, refreshDelayS, type RegistrationOptions, type RegistrationEvents, type RegistrationState } from './registration.ts';

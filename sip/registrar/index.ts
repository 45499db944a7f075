/** The registrar (RFC 3261 10.3). */
export { Registrar, type RegistrarOptions, type RegistrarEvents } from './registrar.ts';
export { canonicalAor } from './aor.ts';
export type { Binding, RegisterHandler, SipReply } from './types.ts';

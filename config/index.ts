export { configSchema, type GatewayConfig, type DialRule, type AudioCodecName } from './schema.ts';
export { trunkSchema, isValidCidr, type TrunkConfig, type TrunkRegisterConfig } from './trunk-schema.ts';
export { loadConfigFile, parseConfig, ConfigError } from './load.ts';
export { registrarSchema, type RegistrarConfig } from './registrar-schema.ts';
export { gatekeeperSchema, h323Schema, type GatekeeperConfig, type H323Config } from './gatekeeper-schema.ts';

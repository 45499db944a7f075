// Public surface of the H.323 ASN.1 layer: the aligned-PER codec driven by the schema generated
// from the ITU-T modules, and typed builders/accessors for the messages roomgate uses.
export { PerCodec } from './per/codec.ts';
export { PerDecodeError, PerEncodeError } from './per/errors.ts';
export { UNKNOWN_ALTERNATIVE, UNKNOWN_ENUM, type AsnValue, type BitStringValue, type ChoiceValue } from './per/values.ts';
export type { AsnType, Schema } from './schema.ts';
export { h323Codec, h323Schema } from './h323-schema.ts';
export * from './messages/common.ts';
export * from './messages/ras.ts';
export * from './messages/call-signalling.ts';
export * from './messages/h245.ts';

// How ASN.1 values are represented in JavaScript by this codec.
//   SEQUENCE / SET       plain object, one key per present component (absent OPTIONAL = no key)
//   CHOICE               { type: 'alternativeName', value }
//   ENUMERATED           the identifier as a string
//   INTEGER              number (exact up to 2^53)
//   BOOLEAN / NULL       true|false / null
//   BIT STRING           { data: Uint8Array (MSB first, zero-padded), length: bits }
//   OCTET STRING         Uint8Array
//   character strings    string (BMPString: one UTF-16 unit per character)
//   OBJECT IDENTIFIER    number[] of arcs
//   SEQUENCE OF / SET OF array
//   open type            the inner value when the schema says what it carries, else Uint8Array
// Decoding a newer peer's unknown CHOICE alternative gives { type: UNKNOWN_ALTERNATIVE, index, value: Uint8Array }
// and an unknown ENUMERATED extension value gives `${UNKNOWN_ENUM}${index}`.

export type AsnValue = unknown;

export interface ChoiceValue<T extends string = string, V = AsnValue> {
  type: T;
  value: V;
  /** Extension index of an alternative the schema does not know (decoder output only). */
  index?: number;
}

export interface BitStringValue {
  data: Uint8Array;
  length: number;
}

export const UNKNOWN_ALTERNATIVE = '#unknown-extension';
export const UNKNOWN_ENUM = '#unknown-extension:';

export function isChoiceValue(v: unknown): v is ChoiceValue {
  return typeof v === 'object' && v !== null && typeof (v as ChoiceValue).type === 'string' && 'value' in v;
}

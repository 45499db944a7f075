// The committed schema generated from the H.235, H.245 and H.225.0 module texts.
import { readFileSync } from 'node:fs';
import { PerCodec } from './per/codec.ts';
import type { Schema } from './schema.ts';

let schema: Schema | undefined;
let codec: PerCodec | undefined;

export function h323Schema(): Schema {
  schema ??= JSON.parse(readFileSync(new URL('./generated/h323-schema.json', import.meta.url), 'utf8')) as Schema;
  return schema;
}

/** The shared PER codec for H.225.0 (RAS, call signalling) and H.245 messages. */
export function h323Codec(): PerCodec {
  codec ??= new PerCodec(h323Schema());
  return codec;
}

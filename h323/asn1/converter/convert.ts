// ASN.1 module texts → PER schema (the whole converter in one call).
import type { Schema } from '../schema.ts';
import { parseModule } from './parser.ts';
import { resolveModules } from './resolver.ts';

export function convertModules(texts: string[]): Schema {
  return resolveModules(texts.map(parseModule));
}

/** Stable JSON text of a schema, as committed in generated/. */
export function schemaToJson(schema: Schema): string {
  return `${JSON.stringify(schema, null, 1)}\n`;
}

// Regenerates h323/asn1/generated/h323-schema.json from the ITU-T module texts in modules/.
// Usage: npx tsx h323/asn1/converter/generate.ts   (or: npm run asn1:generate)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { convertModules, schemaToJson } from './convert.ts';

/** Dependency order: H.225.0 imports from H.235 and H.245. */
export const MODULE_FILES = ['H235-SECURITY-MESSAGES.asn', 'MULTIMEDIA-SYSTEM-CONTROL.asn', 'H323-MESSAGES.asn'];
export const MODULES_DIR = fileURLToPath(new URL('../modules/', import.meta.url));
export const GENERATED_FILE = fileURLToPath(new URL('../generated/h323-schema.json', import.meta.url));

export function generateSchemaJson(): string {
  return schemaToJson(convertModules(MODULE_FILES.map((f) => readFileSync(MODULES_DIR + f, 'utf8'))));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(GENERATED_FILE, generateSchemaJson());
  console.log(`wrote ${GENERATED_FILE}`);
}

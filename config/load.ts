import { readFileSync } from 'node:fs';
import { LineCounter, isNode, parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { configSchema, type GatewayConfig } from './schema.ts';

/** A configuration that cannot be used; the message names the file, line, column and key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly key?: string,
  ) {
    super(message);
  }
}

/** Reads and validates a YAML configuration file. Throws ConfigError on any problem. */
export function loadConfigFile(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read: ${(err as Error).message}`, path);
  }
  return parseConfig(text, path);
}

/** Parses and validates configuration text; `file` is only used in messages. */
export function parseConfig(text: string, file = '<config>'): GatewayConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lineCounter.linePos(first.pos[0]);
    throw new ConfigError(`${file}:${pos.line}:${pos.col}: YAML syntax error: ${first.message.split('\n')[0]}`, file, pos.line);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw describeSchemaError(result.error, doc, lineCounter, file);
}

function describeSchemaError(
  error: ZodError,
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  file: string,
): ConfigError {
  const issue = error.issues[0]!;
  // Unknown keys are reported on their parent; point at the key itself.
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = unknownKey === undefined ? issue.path : [...issue.path, unknownKey];
  const key = path.map(String).join('.') || '(top level)';
  const line = lineOf(doc, path as (string | number)[], lineCounter);
  const where = line === undefined ? file : `${file}:${line}`;
  const what = unknownKey === undefined ? issue.message : `unknown key "${unknownKey}"`;
  return new ConfigError(`${where}: ${key}: ${what}`, file, line, key);
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(doc: ReturnType<typeof parseDocument>, path: (string | number)[], lc: LineCounter): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    const node = prefix.length === 0 ? doc.contents : doc.getIn(prefix, true);
    if (isNode(node) && node.range) {
      // For a missing-in-map key the parent map's line is the best we can say.
      const keyLine = depth === path.length ? keyLineOf(doc, prefix, lc) : undefined;
      return keyLine ?? lc.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/** The line of the key token for a path inside a map (nicer than the value's line for blocks). */
function keyLineOf(doc: ReturnType<typeof parseDocument>, path: (string | number)[], lc: LineCounter): number | undefined {
  if (path.length === 0) return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (!parent || typeof parent !== 'object' || !('items' in parent)) return undefined;
  for (const item of (parent as { items: unknown[] }).items) {
    const pair = item as { key?: { value?: unknown; range?: [number, number, number] } };
    if (pair.key && pair.key.value === last && pair.key.range) return lc.linePos(pair.key.range[0]).line;
  }
  return undefined;
}

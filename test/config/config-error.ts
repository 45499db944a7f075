import { ConfigError, parseConfig } from '../../config/index.ts';

/** The ConfigError that parsing `text` (named test.yaml) raises; fails if it parses. */
export function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

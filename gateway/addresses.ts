import { networkInterfaces } from 'node:os';

/** Resolves `auto` to the first non-internal IPv4 address (127.0.0.1 when there is none). */
export function resolveAdvertisedAddress(configured: string, bind: string): string {
  if (configured !== 'auto') return configured;
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

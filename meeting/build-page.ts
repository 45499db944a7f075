import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const pageSourceDir = join(here, 'page');
export const publicDir = join(here, 'public');
export const pageBundle = join(publicDir, 'dist', 'page.js');

/** Bundle meeting/page (TypeScript + mediasoup-client) into meeting/public/dist/page.js. */
export async function buildPage(opts: { minify?: boolean } = {}): Promise<void> {
  await esbuild.build({
    entryPoints: [join(pageSourceDir, 'main.ts')],
    outfile: pageBundle,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome110',
    sourcemap: true,
    minify: opts.minify ?? false,
    logLevel: 'warning',
  });
}

/** True when the bundle is missing or older than any page source file. */
export function pageBundleStale(): boolean {
  if (!existsSync(pageBundle)) return true;
  const built = statSync(pageBundle).mtimeMs;
  return readdirSync(pageSourceDir).some((f) => statSync(join(pageSourceDir, f)).mtimeMs > built);
}

/** Build the bundle if it is missing or stale (the server calls this on start). */
export async function ensurePageBuilt(): Promise<boolean> {
  if (!pageBundleStale()) return false;
  await buildPage();
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildPage({ minify: process.argv.includes('--minify') });
  console.log(`built ${pageBundle}`);
}

/**
 * `npm run bench`: runs every bench/*.ts except this file, one after another, each in its own
 * child process (`tsx bench/X.ts`), passing their one-line figures straight through. Exits
 * non-zero if any bench exits non-zero. Optional arguments filter by name:
 * `npm run bench -- sip-parse` runs only the benches whose file name contains "sip-parse".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SELF = basename(fileURLToPath(import.meta.url));

let current: ChildProcess | undefined;

// Ctrl-C reaches the child through the terminal too; a SIGTERM to us is passed on explicitly.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    current?.kill(signal);
    process.exitCode = 130;
  });
}

function benchFiles(filters: string[]): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== SELF)
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
}

function runOne(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [join('bench', file)], { cwd: ROOT, stdio: 'inherit' });
    current = child;
    child.once('error', (err) => {
      process.stderr.write(`bench/${file}: could not start: ${err.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      current = undefined;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function main(): Promise<number> {
  const files = benchFiles(process.argv.slice(2));
  if (files.length === 0) {
    process.stderr.write('no bench matched\n');
    return 1;
  }
  const failed: string[] = [];
  for (const file of files) {
    if (process.exitCode === 130) break; // interrupted: start nothing new
    const started = Date.now();
    console.log(`# bench/${file}`);
    const code = await runOne(file);
    if (code !== 0) failed.push(`bench/${file} (exit ${code})`);
    process.stderr.write(`# bench/${file} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  if (failed.length > 0) process.stderr.write(`failed: ${failed.join(', ')}\n`);
  return failed.length > 0 ? 1 : (process.exitCode === 130 ? 130 : 0);
}

main().then((code) => process.exit(code));

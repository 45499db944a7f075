// `npm start`: runs the embedded meeting service and the gateway as two processes, exactly as a
// deployment would run them on separate machines; the gateway reaches the meeting by its URL.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const children = [];
const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;

function run(name, args, env = {}) {
  const child = spawn(tsx, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`[${name}] exited (${signal ?? code})\n`);
    shutdown(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2000).unref();
}

process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const configArgs = process.argv.slice(2);
run('meeting', ['meeting/main.ts']);
run('gateway', ['gateway/main.ts', ...configArgs]);

// The roomgate CLI pointed at a running admin API, as the e2e tests drive it: once as the
// operator's bin/roomgate (a child process), once as the same CLI code in-process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../gateway/cli/main.ts';

export interface CliRun {
  /** Exit code: 0 on success. */
  code: number;
  /** Everything the command printed (stdout, then stderr for bin/roomgate). */
  stdout: string;
}

export interface AdminCli {
  /** bin/roomgate as an operator runs it, against the admin API. */
  bin(args: string[]): Promise<CliRun>;
  /** The same CLI code in-process (no tsx start per command). */
  inProcess(args: string[]): Promise<CliRun>;
}

const roomgateBin = fileURLToPath(new URL('../../bin/roomgate', import.meta.url));

/** `adminPort` is read at each run, so the CLI can be made before the admin API listens. */
export function adminCli(adminPort: () => number, token: string): AdminCli {
  const target = () => ['--admin', `http://127.0.0.1:${adminPort()}`, '--token', token];
  return {
    bin: (args) =>
      new Promise((resolve) =>
        execFile(roomgateBin, [...target(), ...args], (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: stdout + stderr }),
        ),
      ),
    inProcess: async (args) => {
      const lines: string[] = [];
      const code = await runCli([...target(), ...args], (l) => lines.push(l));
      return { code, stdout: lines.join('\n') };
    },
  };
}

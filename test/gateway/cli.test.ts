import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { startAdminApi } from '../../gateway/admin-api.ts';
import { runCli } from '../../gateway/cli/main.ts';
import type { Gateway } from '../../gateway/gateway.ts';

// The admin API in front of a stand-in gateway: the CLI's config, token and exit codes are what is tested.
const hungUp: string[] = [];
const gateway = {
  activeCalls: () => [{ callId: 'c1', roomId: 'demo', state: 'active' }],
  hangUp: (id: string) => (hungUp.push(id), id === 'c1'),
  registrations: () => [{ aor: 'sip:room7@gw.example', contact: 'sip:room7@192.0.2.7:5070', user: 'room7', expiresInS: 30 }],
  trunkSummaries: () => [{ name: 'carrier', state: 'up', registration: { state: 'registered', registrar: 'sip:192.0.2.10:5060' } }],
  dialOut: async (r: { to: string }) => r.to === 'room8'
    ? { status: 'failed', callId: '', sipStatus: 480, reason: '"room8" is not registered', attempts: [] }
    : { status: 'failed', callId: 'c2', sipStatus: 486, reason: '486 Busy Here', attempts: [{ trunk: 'a', status: 486, reason: 'Busy Here' }] },
} as unknown as Gateway;
let admin: { port: number; close(): Promise<void> };
const dir = mkdtempSync(join(tmpdir(), 'roomgate-cli-'));
const configFile = join(dir, 'gateway.yaml');

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

beforeAll(async () => {
  admin = await startAdminApi(gateway, { bind: '127.0.0.1', port: 0, token: 'file-token-0123456789', logger: winston.createLogger({ silent: true }) });
  writeFileSync(join(dir, 'admin-token'), 'file-token-0123456789\n', { mode: 0o600 });
  writeFileSync(configFile, `admin: { bind: 127.0.0.1, port: ${admin.port} }\n`);
});

afterAll(() => admin?.close());

describe('roomgate CLI', () => {
  it('finds the admin API and its token file through the config file', async () => {
    const listed = await cli(['calls', '-c', configFile]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([{ callId: 'c1', roomId: 'demo', state: 'active' }]);
  });

  it('exits 1 and says why when the call fails or the call id is unknown', async () => {
    const dialled = await cli(['dial', '-c', configFile, '--meeting', 'demo', '--to', 'sip:room1@10.1.1.5']);
    expect(dialled).toEqual({ code: 1, out: '  attempt via a: 486 Busy Here\nfailed: 486 486 Busy Here' });
    expect((await cli(['hangup', 'c1', '-c', configFile])).code).toBe(0);
    expect((await cli(['hangup', 'zz', '-c', configFile])).code).toBe(1);
    expect(hungUp).toEqual(['c1', 'zz']);
  });

  it('exits 1 with a wrong token and throws a usage error without a command or --to', async () => {
    expect((await cli(['calls', '-c', configFile, '--token', 'wrong'])).code).toBe(1);
    await expect(cli([])).rejects.toThrow(/usage:/);
    await expect(cli(['dial', '-c', configFile, '--meeting', 'demo'])).rejects.toThrow(/dial needs --meeting and --to/);
  });

  it('lists trunks with their outbound registration state', async () => {
    const listed = await cli(['trunks', '-c', configFile]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ name: 'carrier', registration: expect.objectContaining({ state: 'registered' }) })]);
  });

  it('lists registrations and reports a name that is not registered (480, HTTP 404)', async () => {
    const listed = await cli(['registrations', '-c', configFile]);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ aor: 'sip:room7@gw.example', user: 'room7' })]);
    expect(await cli(['dial', '-c', configFile, '--meeting', 'demo', '--to', 'room8'])).toEqual({ code: 1, out: 'failed: 480 "room8" is not registered' });
    const res = await fetch(`http://127.0.0.1:${admin.port}/api/calls`, { method: 'POST', headers: { authorization: 'Bearer file-token-0123456789' },
      body: JSON.stringify({ meeting: 'demo', to: 'room8' }) });
    expect(res.status).toBe(404);
  });
});

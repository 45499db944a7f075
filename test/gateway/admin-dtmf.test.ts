import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { startAdminApi } from '../../gateway/admin-api.ts';
import { runCli } from '../../gateway/cli/main.ts';
import type { Gateway } from '../../gateway/gateway.ts';

// POST /api/calls/:id/dtmf and `roomgate dtmf` in front of a stand-in gateway.
const sent: [string, string[], number | undefined][] = [];
const gateway = {
  sendDtmf: (callId: string, digits: string[], durationMs?: number) => {
    sent.push([callId, digits, durationMs]);
    return callId === 'c1' ? 'ok' : callId === 'ringing' ? 'not-active' : 'no-call';
  },
} as unknown as Gateway;
const TOKEN = 'dtmf-token-0123456789';
let admin: { port: number; close(): Promise<void> };
const dir = mkdtempSync(join(tmpdir(), 'roomgate-dtmf-cli-'));
const configFile = join(dir, 'gateway.yaml');

beforeAll(async () => {
  admin = await startAdminApi(gateway, { bind: '127.0.0.1', port: 0, token: TOKEN, logger: winston.createLogger({ silent: true }) });
  writeFileSync(join(dir, 'admin-token'), `${TOKEN}\n`, { mode: 0o600 });
  writeFileSync(configFile, `admin: { bind: 127.0.0.1, port: ${admin.port} }\n`);
});
afterAll(() => admin?.close());

function post(callId: string, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${admin.port}/api/calls/${callId}/dtmf`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('admin API: POST /api/calls/:callId/dtmf', () => {
  it('queues valid keys (202), refuses bad ones (400), unknown calls (404) and unanswered calls (409)', async () => {
    sent.length = 0;
    const ok = await post('c1', { digits: '12#a', durationMs: 120 });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ callId: 'c1', digits: '12#A' });
    expect(sent).toEqual([['c1', ['1', '2', '#', 'A'], 120]]);
    expect((await post('c1', { digits: '12E' })).status).toBe(400);
    expect((await post('c1', { digits: '' })).status).toBe(400);
    expect((await post('c1', { digits: '1', durationMs: 'long' })).status).toBe(400);
    expect((await post('zz', { digits: '1' })).status).toBe(404);
    expect((await post('ringing', { digits: '1' })).status).toBe(409);
    expect(sent).toHaveLength(3);
  });

  it('roomgate dtmf CALL_ID DIGITS exits 0 when queued and 1 otherwise', async () => {
    const lines: string[] = [];
    expect(await runCli(['dtmf', 'c1', '159#', '-c', configFile], (l) => lines.push(l))).toBe(0);
    expect(await runCli(['dtmf', 'zz', '1', '-c', configFile], (l) => lines.push(l))).toBe(1);
    expect(lines[0]).toBe('sent 159# to c1');
    expect(lines[1]).toMatch(/^dtmf failed: 404/);
  });
});

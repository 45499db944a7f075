// Issue #4 liveness: a room that sends neither RTP nor RTCP is hung up after media.mediaTimeoutS,
// with a log line saying why (SIPp plays the silent room; it sends no media at all).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeSipPort } from '../helpers/processes.ts';
import { killAllSipp, runSipp } from '../sip/sipp.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ mediaPorts: { min: 44000, max: 44099 }, media: 'mediaTimeoutS: 2' });
});

afterAll(async () => {
  killAllSipp();
  await h?.close();
});

describe('media timeout', () => {
  it('a call with no RTP and no RTCP from the room gets a BYE after mediaTimeoutS, logged', async () => {
    const scenario = fileURLToPath(new URL('./scenarios/uac-silent.xml', import.meta.url));
    const localPort = await freeSipPort(0);
    const startedAt = Date.now();
    const sipp = runSipp(['-sf', scenario, '-s', 'silent', `127.0.0.1:${h.sipPort}`, '-p', String(localPort), '-m', '1']);
    const result = await sipp.done;
    expect(result.code, result.output).toBe(0);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2000);
    const ended = h.logs.find((l) => l.message === 'call ended');
    expect(ended?.by).toBe('gateway');
    expect(String(ended?.reason)).toMatch(/^media timeout/);
    expect(h.logs.some((l) => l.message === 'no media from the room')).toBe(true);
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });
});

// A long-lived room must not keep anything of the sessions that left it: every gateway call joins
// and leaves the meeting, so a room that stays open (a browser participant in it) sees thousands.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { TestSocket } from './ws-client.ts';

let server: MeetingServer;
const warnings: Error[] = [];
const onWarning = (w: Error) => { warnings.push(w); };

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await server?.close();
});

it('peers that join and leave a room that stays open leave no listener behind on it (no MaxListeners warning)', async () => {
  const host = await TestSocket.open(server.wsUrl);
  expect((await host.request('join', { roomId: 'persist', displayName: 'Host' })).ok).toBe(true);
  for (let i = 0; i < 15; i++) {
    const s = await TestSocket.open(server.wsUrl);
    expect((await s.request('join', { roomId: 'persist', displayName: `Guest ${i}` })).ok).toBe(true);
    await s.close();
    await expect.poll(() => server.stats().peers, { timeout: 5000, interval: 10 }).toBe(1);
  }
  // process warnings are emitted on the next tick: one more round trip lets them arrive.
  expect((await host.request('getRoom')).ok).toBe(true);
  await new Promise((r) => setImmediate(r));
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  await host.close();
});

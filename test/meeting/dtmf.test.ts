import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeetingServer, type MeetingServer, type RoomDtmfEvent } from '../../meeting/index.ts';
import { TestSocket } from './ws-client.ts';

let server: MeetingServer;

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
});

async function joined(roomId: string, displayName: string, kind: 'browser' | 'gateway'): Promise<{ s: TestSocket; peerId: string }> {
  const s = await TestSocket.open(server.wsUrl);
  const r = await s.request('join', { roomId, displayName, kind });
  expect(r.ok).toBe(true);
  return { s, peerId: r.data.peerId as string };
}

describe('meeting DTMF (PROTOCOL.md dtmf / sendDtmf)', () => {
  it('a reported key reaches every other peer once as participantDtmf, the room hook and GET /api/rooms', async () => {
    const hook: [string, RoomDtmfEvent][] = [];
    const off = server.onDtmf((roomId, e) => hook.push([roomId, e]));
    const gw = await joined('dtmf1', 'Room 1', 'gateway');
    const a = await joined('dtmf1', 'Alice', 'browser');
    const b = await joined('dtmf1', 'Bob', 'browser');
    for (const digit of ['1', '5', '9', '#']) expect((await gw.s.request('dtmf', { digit, durationMs: 160 })).ok).toBe(true);
    for (const p of [a, b]) {
      await p.s.next((f) => f.notification === 'participantDtmf' && f.data.digit === '#');
      const got = p.s.frames.filter((f) => f.notification === 'participantDtmf').map((f) => f.data);
      expect(got.map((d) => d.digit).join('')).toBe('159#');
      expect(got[0]).toEqual({ peerId: gw.peerId, displayName: 'Room 1', digit: '1', durationMs: 160 });
    }
    expect(gw.s.frames.some((f) => f.notification === 'participantDtmf')).toBe(false); // not echoed
    expect(hook.map(([room, e]) => `${room}:${e.displayName}:${e.digit}`)).toEqual(['dtmf1:Room 1:1', 'dtmf1:Room 1:5', 'dtmf1:Room 1:9', 'dtmf1:Room 1:#']);
    off();
    const rooms = (await (await fetch(new URL('/api/rooms', server.url))).json()) as { roomId: string; dtmf: unknown }[];
    expect(rooms.find((r) => r.roomId === 'dtmf1')?.dtmf).toEqual({ received: 4, lastDigits: '159#', requested: 0 });
    await Promise.all([gw.s.close(), a.s.close(), b.s.close()]);
  });

  it('sendDtmf reaches the gateway peer as dtmfRequest naming the sender; other targets and bad keys are refused', async () => {
    const gw = await joined('dtmf2', 'Room 2', 'gateway');
    const a = await joined('dtmf2', 'Alice', 'browser');
    const ok = await a.s.request('sendDtmf', { toPeerId: gw.peerId, digit: '7', durationMs: 200 });
    expect(ok.ok).toBe(true);
    const req = await gw.s.notification('dtmfRequest');
    expect(req.data).toEqual({ digit: '7', durationMs: 200, fromPeerId: a.peerId, fromDisplayName: 'Alice' });
    expect(await a.s.request('sendDtmf', { toPeerId: a.peerId, digit: '7' })).toMatchObject({ ok: false, error: expect.stringContaining('not a gateway') });
    expect(await a.s.request('sendDtmf', { toPeerId: 'nobody', digit: '7' })).toMatchObject({ ok: false, error: expect.stringContaining('no such peer') });
    expect(await a.s.request('sendDtmf', { toPeerId: gw.peerId, digit: 'E' })).toMatchObject({ ok: false, error: expect.stringContaining('digit') });
    expect(await gw.s.request('dtmf', { digit: '55' })).toMatchObject({ ok: false, error: expect.stringContaining('digit') });
    expect(await a.s.request('sendDtmf', { toPeerId: gw.peerId, digit: '1', durationMs: 10 })).toMatchObject({ ok: false });
    expect(gw.s.frames.filter((f) => f.notification === 'dtmfRequest')).toHaveLength(1);
    await Promise.all([gw.s.close(), a.s.close()]);
  });

  it('dtmf before join is refused', async () => {
    const s = await TestSocket.open(server.wsUrl);
    expect(await s.request('dtmf', { digit: '1' })).toMatchObject({ ok: false, error: expect.stringContaining('before join') });
    await s.close();
  });
});

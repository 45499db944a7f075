import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { TestSocket } from './ws-client.ts';

let server: MeetingServer;

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
});

describe('meeting signalling (PROTOCOL.md)', () => {
  it('listens on the port the OS picked and answers health', async () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.wsUrl).toBe(`ws://127.0.0.1:${server.port}/ws`);
    const res = await fetch(new URL('/api/health', server.url));
    expect(await res.json()).toEqual({ ok: true });
  });

  it('answers malformed frames ok:false (when they carry an id) and keeps serving', async () => {
    const s = await TestSocket.open(server.wsUrl);
    s.sendRaw('not json at all');
    s.sendRaw('[1,2,3]');
    s.sendRaw(Buffer.from([0xff, 0x00, 0x12]), true);
    s.sendRaw(JSON.stringify({ id: 7, method: 'noSuchMethod', data: {} }));
    s.sendRaw(JSON.stringify({ id: 8, method: 'join', data: { roomId: 42 } }));
    s.sendRaw(JSON.stringify({ id: 9, method: 'createWebRtcTransport', data: { direction: 'send' } }));
    s.sendRaw(JSON.stringify({ id: 10, data: {} }));
    const r7 = await s.next((f) => f.id === 7);
    const r8 = await s.next((f) => f.id === 8);
    const r9 = await s.next((f) => f.id === 9);
    const r10 = await s.next((f) => f.id === 10);
    expect(r7).toMatchObject({ ok: false, error: expect.stringContaining('unknown method') });
    expect(r8).toMatchObject({ ok: false, error: expect.stringContaining('roomId') });
    expect(r9).toMatchObject({ ok: false, error: expect.stringContaining('before join') });
    expect(r10).toMatchObject({ ok: false, error: expect.stringContaining('method') });
    // the same socket still works
    const joined = await s.request('join', { roomId: 'sig1', displayName: 'Probe' });
    expect(joined.ok).toBe(true);
    expect(joined.data.peerId).toEqual(expect.any(String));
    expect(joined.data.routerRtpCapabilities.codecs.length).toBeGreaterThan(0);
    const again = await s.request('join', { roomId: 'sig1', displayName: 'Probe' });
    expect(again).toMatchObject({ ok: false, error: 'already joined' });
    const bogus = await s.request('connectWebRtcTransport', { transportId: 'nope', dtlsParameters: {} });
    expect(bogus).toMatchObject({ ok: false, error: expect.stringContaining('no such transport') });
    const badConsume = await s.request('consume', { transportId: 'x', producerId: 'y' });
    expect(badConsume.ok).toBe(false);
    for (let i = 0; i < 4; i++) expect((await s.request('createWebRtcTransport', { direction: 'both' })).ok).toBe(true);
    const fifth = await s.request('createWebRtcTransport', { direction: 'both' });
    expect(fifth).toMatchObject({ ok: false, error: 'too many transports' });
    const room = (await s.request('getRoom')).data;
    expect(room).toMatchObject({ roomId: 'sig1' });
    expect(server.stats().transports).toBe(4);
    await s.close();
    // and the server still accepts new sockets
    const t = await TestSocket.open(server.wsUrl);
    expect((await t.request('join', { roomId: 'sig1b', displayName: 'Other' })).ok).toBe(true);
    await t.close();
  });

  it('offers H.264 before VP8 and Opus in the router capabilities', async () => {
    const s = await TestSocket.open(server.wsUrl);
    const joined = await s.request('join', { roomId: 'caps', displayName: 'Caps' });
    const mimes: string[] = joined.data.routerRtpCapabilities.codecs.map((c: { mimeType: string }) => c.mimeType);
    expect(mimes).toContain('audio/opus');
    expect(mimes.indexOf('video/H264')).toBeGreaterThanOrEqual(0);
    expect(mimes.indexOf('video/H264')).toBeLessThan(mimes.indexOf('video/VP8'));
    const pm1 = joined.data.routerRtpCapabilities.codecs.find(
      (c: any) => c.mimeType === 'video/H264' && c.parameters['packetization-mode'] === 1,
    );
    expect(pm1.parameters['profile-level-id']).toBe('42e01f');
    await s.close();
  });

  it('tells peers who joins and leaves, lists rooms, and cleans up when the last peer leaves', async () => {
    const a = await TestSocket.open(server.wsUrl);
    const b = await TestSocket.open(server.wsUrl);
    const ja = await a.request('join', { roomId: 'life', displayName: 'Ann' });
    const ta = await a.request('createWebRtcTransport', { direction: 'both' });
    expect(ta.ok).toBe(true);
    expect(ta.data.iceCandidates.length).toBeGreaterThan(0);
    for (const c of ta.data.iceCandidates) expect(c.address).toBe('127.0.0.1');
    const jb = await b.request('join', { roomId: 'life', displayName: 'Bob', kind: 'gateway' });
    expect(jb.data.peers).toEqual([{ peerId: ja.data.peerId, displayName: 'Ann', kind: 'browser', producers: [] }]);
    const joinedNote = await a.notification('peerJoined');
    expect(joinedNote.data).toEqual({ peerId: jb.data.peerId, displayName: 'Bob', kind: 'gateway' });
    const rooms = await (await fetch(new URL('/api/rooms', server.url))).json();
    expect(rooms.find((r: any) => r.roomId === 'life').peers.map((p: any) => p.displayName).sort()).toEqual(['Ann', 'Bob']);
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 2, transports: 1 });

    await b.request('leave');
    await b.closed();
    expect((await a.notification('peerLeft')).data).toEqual({ peerId: jb.data.peerId });
    await a.close();
    await expect.poll(() => server.stats()).toEqual({ rooms: 0, peers: 0, transports: 0, producers: 0, consumers: 0 });
  });

  it('closes a room by API: roomClosed to every peer, sockets closed, 404 for unknown rooms', async () => {
    const a = await TestSocket.open(server.wsUrl);
    await a.request('join', { roomId: 'doomed', displayName: 'Ann' });
    const res = await fetch(new URL('/api/rooms/doomed/close', server.url), { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ closed: true });
    expect((await a.notification('roomClosed')).data).toEqual({ roomId: 'doomed', reason: 'closed by API' });
    await a.closed();
    expect(server.stats().rooms).toBe(0);
    const missing = await fetch(new URL('/api/rooms/doomed/close', server.url), { method: 'POST' });
    expect(missing.status).toBe(404);
  });

  it('serves the page and refuses paths outside public/', async () => {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/dist/page.js');
    const bundle = await fetch(new URL('/dist/page.js', server.url));
    expect(bundle.status).toBe(200);
    const escape = await fetch(new URL('/%2e%2e/server.ts', server.url));
    expect(escape.status).toBe(404);
    const badUri = await fetch(new URL('/%E0%A4%A', server.url));
    expect(badUri.status).toBe(400);
  });

  it('survives the death of its mediasoup worker: rooms end, the next join gets a new worker', async () => {
    const a = await TestSocket.open(server.wsUrl);
    await a.request('join', { roomId: 'w1', displayName: 'Ann' });
    const pid = server.workerPid();
    expect(pid).toEqual(expect.any(Number));
    process.kill(pid!, 'SIGKILL'); // our own child: the worker this server started
    expect((await a.notification('roomClosed')).data).toEqual({ roomId: 'w1', reason: 'media server failure' });
    await a.closed();
    expect(server.stats().rooms).toBe(0);
    const b = await TestSocket.open(server.wsUrl);
    const joined = await b.request('join', { roomId: 'w2', displayName: 'Bob' });
    expect(joined.ok).toBe(true);
    expect(server.workerPid()).not.toBe(pid);
    expect((await b.request('createWebRtcTransport', { direction: 'both' })).ok).toBe(true);
    await b.close();
  });
});

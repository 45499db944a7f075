import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  MeetingRejectedError,
  MeetingSocketClosedError,
  MeetingTimeoutError,
  MeetingUnreachableError,
} from '../../gateway/connectors/mediasoup-meeting/errors.ts';
import { SignallingClient } from '../../gateway/connectors/mediasoup-meeting/signalling-client.ts';

interface Log {
  warn: string[];
}
function testLogger(log: Log = { warn: [] }) {
  return { debug() {}, info() {}, warn: (m: string) => void log.warn.push(m), error() {} };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A WebSocket server on a free loopback port whose connection the test drives. */
async function wsServer(): Promise<{ url: string; nextSocket: Promise<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }));
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/ws`, nextSocket: once(wss, 'connection').then(([s]) => s as WebSocket) };
}

async function connected(): Promise<{ client: SignallingClient; server: WebSocket; log: Log }> {
  const { url, nextSocket } = await wsServer();
  const log: Log = { warn: [] };
  const client = await SignallingClient.connect(url, { logger: testLogger(log) });
  cleanups.push(() => client.close());
  return { client, server: await nextSocket, log };
}

describe('SignallingClient (meeting/PROTOCOL.md frames)', () => {
  it('pairs responses with requests by id, in any order', async () => {
    const { client, server } = await connected();
    const frames: { id: number; method: string }[] = [];
    server.on('message', (m) => {
      frames.push(JSON.parse(m.toString()));
      if (frames.length === 2) {
        server.send(JSON.stringify({ id: frames[1]!.id, ok: true, data: { n: 2 } }));
        server.send(JSON.stringify({ id: frames[0]!.id, ok: true, data: { n: 1 } }));
      }
    });
    const [a, b] = await Promise.all([client.request('getRoom'), client.request('join', { roomId: 'r' })]);
    expect(frames.map((f) => f.method)).toEqual(['getRoom', 'join']);
    expect(a).toEqual({ n: 1 });
    expect(b).toEqual({ n: 2 });
  });

  it('rejects an ok:false answer with MeetingRejectedError carrying the server error; join maps to 404', async () => {
    const { client, server } = await connected();
    server.on('message', (m) => server.send(JSON.stringify({ id: JSON.parse(m.toString()).id, ok: false, error: 'no such room' })));
    const error = await client.request('join', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingRejectedError);
    expect((error as MeetingRejectedError).serverError).toBe('no such room');
    expect((error as MeetingRejectedError).sipStatus).toBe(404);
  });

  it('emits notifications and ignores malformed frames without closing', async () => {
    const { client, server, log } = await connected();
    const got = once(client, 'notification');
    server.send('not json');
    server.send('[1,2]');
    server.send(JSON.stringify({ hello: 1 }));
    server.send(JSON.stringify({ id: 999, ok: true, data: {} }));
    server.send(JSON.stringify({ notification: 'peerJoined', data: { peerId: 'p1' } }));
    expect(await got).toEqual(['peerJoined', { peerId: 'p1' }]);
    expect(client.closed).toBe(false);
    expect(log.warn).toHaveLength(4);
  });

  it('rejects pending requests with MeetingSocketClosedError when the server closes, and emits closed once', async () => {
    const { client, server } = await connected();
    let closedEvents = 0;
    client.on('closed', () => closedEvents++);
    server.on('message', () => server.close(1001));
    const error = await client.request('join', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingSocketClosedError);
    await client.close();
    expect(closedEvents).toBe(1);
    await expect(client.request('getRoom')).rejects.toBeInstanceOf(MeetingSocketClosedError);
  });

  it('times out a request the server never answers with MeetingTimeoutError', async () => {
    const { client } = await connected();
    await expect(client.request('getRoom', {}, 50)).rejects.toBeInstanceOf(MeetingTimeoutError);
  });

  it('rejects with MeetingUnreachableError (503) when the port refuses the connection', async () => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r)); // the port is now closed
    const error = await SignallingClient.connect(`ws://127.0.0.1:${port}/ws`, { logger: testLogger() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingUnreachableError);
    expect((error as MeetingUnreachableError).sipStatus).toBe(503);
  });

  it('rejects with MeetingTimeoutError (480) when the server accepts TCP but never answers the handshake', async () => {
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => sockets.push(s));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    cleanups.push(() => new Promise<void>((r) => { sockets.forEach((s) => s.destroy()); srv.close(() => r()); }));
    const port = (srv.address() as AddressInfo).port;
    const error = await SignallingClient.connect(`ws://127.0.0.1:${port}/ws`, { logger: testLogger(), connectTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingTimeoutError);
    expect((error as MeetingTimeoutError).sipStatus).toBe(480);
  });

  it('rejects an invalid URL with MeetingUnreachableError', async () => {
    await expect(SignallingClient.connect('not a url', { logger: testLogger() })).rejects.toBeInstanceOf(MeetingUnreachableError);
  });
});

import dgram from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  joinMeeting,
  MeetingEndedError,
  MeetingMediaError,
  MeetingProtocolError,
} from '../../gateway/connectors/mediasoup-meeting/index.ts';
import { routerCaps } from './router-caps.fixture.ts';

// Join failures against a scripted meeting (signalling only): the gateway must get a typed error
// it can turn into a SIP status, never a hang. Media here goes nowhere but a local UDP sink.

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Script = (method: string, data: Record<string, unknown>, socket: WebSocket) => Record<string, unknown> | 'silent';

/** A meeting that answers by script; the transport's only candidate is a UDP sink on loopback. */
async function scriptedMeeting(script: Script): Promise<{ url: string; methods: string[] }> {
  const sink = dgram.createSocket('udp4');
  sink.bind(0, '127.0.0.1');
  await once(sink, 'listening');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  cleanups.push(() => new Promise<void>((r) => sink.close(() => r())));
  cleanups.push(() => new Promise<void>((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }));
  const methods: string[] = [];
  const defaults: Record<string, Record<string, unknown>> = {
    join: { peerId: 'gw-1', routerRtpCapabilities: routerCaps, peers: [] },
    createWebRtcTransport: {
      transportId: 't-1',
      iceParameters: { usernameFragment: 'ufragufrag', password: 'passwordpasswordpassword', iceLite: true },
      iceCandidates: [{ foundation: 'udp', priority: 1076302079, address: '127.0.0.1', protocol: 'udp', port: sink.address().port, type: 'host' }],
      dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AB:'.repeat(31) + 'AB' }] },
    },
  };
  wss.on('connection', (socket) => {
    socket.on('message', (m) => {
      const { id, method, data } = JSON.parse(m.toString()) as { id: number; method: string; data: Record<string, unknown> };
      methods.push(method);
      const answer = script(method, data, socket);
      if (answer === 'silent' || socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify({ id, ok: true, data: { ...(defaults[method] ?? {}), ...answer } }));
    });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`, methods };
}

const join = (url: string, mediaTimeoutMs = 10_000) =>
  joinMeeting({ url, roomId: 'r', displayName: 'room', logger, audio: true, video: true, mediaTimeoutMs });

describe('joinMeeting failures become typed errors with a SIP status', () => {
  it('roomClosed while ICE/DTLS is connecting: MeetingEndedError (503) with the reason', async () => {
    const { url, methods } = await scriptedMeeting((method, _data, socket) => {
      if (method === 'connectWebRtcTransport') {
        setImmediate(() => socket.send(JSON.stringify({ notification: 'roomClosed', data: { roomId: 'r', reason: 'media server failure' } })));
      }
      return {};
    });
    const error = await join(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingEndedError);
    expect((error as MeetingEndedError).sipStatus).toBe(503);
    expect((error as MeetingEndedError).message).toMatch(/media server failure/);
    expect(methods.slice(0, 3)).toEqual(['join', 'createWebRtcTransport', 'connectWebRtcTransport']);
  });

  it('the meeting drops the socket in the middle of the join: MeetingEndedError (503)', async () => {
    const { url } = await scriptedMeeting((method, _data, socket) => {
      if (method === 'createWebRtcTransport') {
        socket.close(1011);
        return 'silent';
      }
      return {};
    });
    const error = await join(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingEndedError);
    expect((error as MeetingEndedError).message).toMatch(/signalling lost/);
  });

  it('ICE never completes (nothing answers the checks): MeetingMediaError (488) after mediaTimeoutMs', async () => {
    const { url, methods } = await scriptedMeeting(() => ({}));
    const error = await join(url, 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingMediaError);
    expect((error as MeetingMediaError).sipStatus).toBe(488);
    expect(methods).not.toContain('produce'); // nothing produced on a dead transport
  });

  it('a join answer without router capabilities: MeetingProtocolError (502), no transport requested', async () => {
    const { url, methods } = await scriptedMeeting((method) => (method === 'join' ? { routerRtpCapabilities: 'nope' } : {}));
    const error = await join(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingProtocolError);
    expect((error as MeetingProtocolError).sipStatus).toBe(502);
    expect(methods).toEqual(['join']);
  });
});

// The leg asks the meeting for the simulcast layer that fits the room (limitVideoBitrate), for the
// current video source and again for each new source after a switch; single-layer sources get no
// request. A real meeting (mediasoup) and a real werift leg; the publishers are declared over
// signalling (mediasoup creates producers and consumers from RTP parameters, no media needed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinMeeting, type MeetingLeg } from '../../gateway/connectors/mediasoup-meeting/index.ts';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { TestSocket } from '../meeting/ws-client.ts';

const ROOM = 'leg-layers';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const h264 = {
  mimeType: 'video/H264', payloadType: 102, clockRate: 90000, rtcpFeedback: [],
  parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
};
const video = (ssrc: number, bitrates: number[]) => ({
  mid: '1', codecs: [h264], headerExtensions: [], rtcp: { cname: `pub${ssrc}` },
  encodings: bitrates.length > 0 ? bitrates.map((maxBitrate, i) => ({ ssrc: ssrc + i, maxBitrate })) : [{ ssrc }],
});

/** Requests the meeting ran, in order (its debug log of each signalling request). */
const requests: { method: string; consumerId?: string }[] = [];
const meetingLog = {
  debug(msg: string, meta?: object) {
    const m = meta as { method?: string; data?: { consumerId?: string } } | undefined;
    if (msg === 'signalling request' && m?.method) requests.push({ method: m.method, ...(m.data?.consumerId ? { consumerId: m.data.consumerId } : {}) });
  },
  info() {}, warn() {}, error() {},
};

let server: MeetingServer;
let leg: MeetingLeg;
const publishers: TestSocket[] = [];
const producers: Record<'A' | 'B' | 'C', { socket: TestSocket; producerId: string }> = {} as never;

interface ConsumerView { peerId: string; producerId: string; preferredLayers: { spatialLayer: number } | null }

async function publish(name: 'A' | 'B' | 'C', ssrc: number, bitrates: number[]): Promise<void> {
  const socket = await TestSocket.open(server.wsUrl);
  publishers.push(socket);
  await socket.request('join', { roomId: ROOM, displayName: name });
  const transportId = (await socket.request('createWebRtcTransport', { direction: 'send' })).data.transportId;
  const r = await socket.request('produce', { transportId, kind: 'video', rtpParameters: video(ssrc, bitrates) });
  expect(r.ok, JSON.stringify(r)).toBe(true);
  producers[name] = { socket, producerId: r.data.producerId };
}

/** The layer the leg's consumer of `name`'s producer is set to, in the meeting. */
async function preferredFor(name: 'A' | 'B' | 'C'): Promise<number | null | undefined> {
  const rooms = (await (await fetch(new URL('/api/rooms', server.url))).json()) as { roomId: string; videoConsumers: ConsumerView[] }[];
  const c = rooms.find((r) => r.roomId === ROOM)?.videoConsumers.find((x) => x.peerId === leg.peerId && x.producerId === producers[name].producerId);
  return c === undefined ? undefined : (c.preferredLayers?.spatialLayer ?? null);
}

async function closeProducer(name: 'A' | 'B' | 'C'): Promise<void> {
  const r = await producers[name].socket.request('closeProducer', { producerId: producers[name].producerId });
  expect(r.ok).toBe(true);
}

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0, logger: meetingLog });
  await publish('A', 1000, [150_000, 500_000, 1_500_000]);
  await publish('B', 2000, [100_000, 300_000, 900_000]);
  await publish('C', 3000, []); // one layer
  leg = await joinMeeting({ url: server.wsUrl, roomId: ROOM, displayName: 'Room', logger: quiet, audio: true, video: true });
});

afterAll(async () => {
  await leg?.leave();
  for (const p of publishers) await p.close();
  await server?.close();
});

describe('MeetingLeg.limitVideoBitrate → setConsumerPreferredLayers', () => {
  it('a single-layer source (the last publisher to join, C) gets no request', async () => {
    await expect.poll(async () => preferredFor('C')).toBeNull(); // consumed, no layers
    leg.limitVideoBitrate(256_000);
    await expect.poll(() => leg.stats().videoLayer.limitBps).toBe(256_000);
    expect(leg.stats().videoLayer).toEqual({ limitBps: 256_000, requests: 0 });
  });

  it('after a switch to a simulcast source (C leaves, B is next) the layer that fits is asked before resume', async () => {
    await closeProducer('C');
    // 256 kbit/s: only B's 100 kbit/s layer fits (mediasoup's default would be the top, 2)
    await expect.poll(async () => preferredFor('B'), { timeout: 10_000 }).toBe(0);
    const layered = requests.find((r) => r.method === 'setConsumerPreferredLayers');
    const order = () => requests.filter((r) => r.consumerId === layered?.consumerId).map((r) => r.method);
    await expect.poll(order).toContain('resumeConsumer');
    expect(order()[0]).toBe('setConsumerPreferredLayers'); // before its resume: the first frames are already the right layer
    expect(leg.stats().videoLayer).toMatchObject({ layerBitrates: [100_000, 300_000, 900_000], requests: 1 });
  });

  it('a new limit moves the layer; the same layer again sends nothing', async () => {
    leg.limitVideoBitrate(Number.POSITIVE_INFINITY);
    await expect.poll(async () => preferredFor('B')).toBe(2);
    leg.limitVideoBitrate(600_000);
    await expect.poll(async () => preferredFor('B')).toBe(1);
    leg.limitVideoBitrate(650_000);
    await expect.poll(() => leg.stats().videoLayer.limitBps).toBe(650_000);
    expect(leg.stats().videoLayer).toMatchObject({ spatialLayer: 1, requests: 3 });
  });

  it('the next source (B leaves, A) gets the layer that fits its own bit rates', async () => {
    await closeProducer('B');
    await expect.poll(async () => preferredFor('A'), { timeout: 10_000 }).toBe(1); // 500 kbit/s ≤ 650 kbit/s < 1.5 Mbit/s
    expect(leg.stats().videoLayer).toMatchObject({ spatialLayer: 1, layerBitrates: [150_000, 500_000, 1_500_000], requests: 4 });
  });

  it('a leg not yet told the room\'s limit asks for the lowest layer before resuming; "no limit" then raises it to the top', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    publishers.push(socket);
    await socket.request('join', { roomId: `${ROOM}-2`, displayName: 'D' });
    const transportId = (await socket.request('createWebRtcTransport', { direction: 'send' })).data.transportId;
    expect((await socket.request('produce', { transportId, kind: 'video', rtpParameters: video(4000, [150_000, 500_000, 1_500_000]) })).ok).toBe(true);
    const second = await joinMeeting({ url: server.wsUrl, roomId: `${ROOM}-2`, displayName: 'Room 2', logger: quiet, audio: true, video: true });
    try {
      // D's video is consumed during the join, before anyone called limitVideoBitrate
      await expect.poll(() => second.stats().videoLayer).toMatchObject({ spatialLayer: 0, requests: 1 });
      expect(second.stats().videoLayer.limitBps).toBeUndefined();
      second.limitVideoBitrate(Number.POSITIVE_INFINITY);
      await expect.poll(() => second.stats().videoLayer).toMatchObject({ spatialLayer: 2, requests: 2 });
    } finally {
      await second.leave();
    }
  });
});

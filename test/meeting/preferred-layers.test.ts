// PROTOCOL.md setConsumerPreferredLayers, and the consume answer's `type`/`layerBitrates`, against
// a real mediasoup worker. The producers are declared over signalling (no media needed: mediasoup
// creates producers and consumers from the RTP parameters alone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { layerCounts } from '../../meeting/consumer-layers.ts';
import { TestSocket } from './ws-client.ts';

let server: MeetingServer;
const ROOM = 'layers';

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
});

const h264 = {
  mimeType: 'video/H264', payloadType: 102, clockRate: 90000, rtcpFeedback: [],
  parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
};
const simulcastVideo = {
  mid: '1', codecs: [h264], headerExtensions: [], rtcp: { cname: 'pub' },
  encodings: [
    { ssrc: 1111, maxBitrate: 150_000, scaleResolutionDownBy: 4 },
    { ssrc: 2222, maxBitrate: 500_000, scaleResolutionDownBy: 2 },
    { ssrc: 3333, maxBitrate: 1_500_000, scaleResolutionDownBy: 1 },
  ],
};
const singleVideo = { mid: '2', codecs: [h264], headerExtensions: [], rtcp: { cname: 'pub' }, encodings: [{ ssrc: 4444 }] };
const audio = {
  mid: '0', headerExtensions: [], rtcp: { cname: 'pub' }, encodings: [{ ssrc: 5555 }],
  codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: {}, rtcpFeedback: [] }],
};

interface Consumed { consumerId: string; type: string; layerBitrates?: number[]; rtpParameters: { encodings: { scalabilityMode?: string }[] } }

describe('setConsumerPreferredLayers (PROTOCOL.md)', () => {
  let sub: TestSocket;
  let pub: TestSocket;
  const consumers: Record<'simulcast' | 'single' | 'audio', Consumed> = {} as never;

  beforeAll(async () => {
    pub = await TestSocket.open(server.wsUrl);
    await pub.request('join', { roomId: ROOM, displayName: 'Publisher' });
    const pt = (await pub.request('createWebRtcTransport', { direction: 'send' })).data.transportId;
    const ids: Record<string, string> = {};
    for (const [name, kind, rtpParameters] of [['simulcast', 'video', simulcastVideo], ['single', 'video', singleVideo], ['audio', 'audio', audio]] as const) {
      const r = await pub.request('produce', { transportId: pt, kind, rtpParameters });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      ids[name] = r.data.producerId;
    }
    sub = await TestSocket.open(server.wsUrl);
    const joined = await sub.request('join', { roomId: ROOM, displayName: 'Gateway', kind: 'gateway' });
    await sub.request('setRtpCapabilities', { rtpCapabilities: joined.data.routerRtpCapabilities });
    const st = (await sub.request('createWebRtcTransport', { direction: 'recv' })).data.transportId;
    for (const name of ['simulcast', 'single', 'audio'] as const) {
      const r = await sub.request('consume', { transportId: st, producerId: ids[name] });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      consumers[name] = r.data;
    }
  });
  afterAll(async () => {
    await sub?.close();
    await pub?.close();
  });

  it('consume answers the consumer type and, for simulcast, each layer\'s maxBitrate lowest first', () => {
    expect(consumers.simulcast.type).toBe('simulcast');
    expect(consumers.simulcast.layerBitrates).toEqual([150_000, 500_000, 1_500_000]);
    expect(layerCounts(consumers.simulcast.rtpParameters.encodings[0]?.scalabilityMode).spatialLayers).toBe(3);
    expect(consumers.single.type).toBe('simple');
    expect(consumers.single.layerBitrates).toBeUndefined();
  });

  it('sets the preferred layer of a simulcast consumer; GET /api/rooms shows it', async () => {
    const r = await sub.request('setConsumerPreferredLayers', { consumerId: consumers.simulcast.consumerId, spatialLayer: 0 });
    expect(r).toMatchObject({ ok: true, data: { preferredLayers: { spatialLayer: 0 } } });
    const rooms = (await (await fetch(new URL('/api/rooms', server.url))).json()) as { roomId: string; videoConsumers: { consumerId: string; type: string; preferredLayers: { spatialLayer: number } | null }[] }[];
    const info = rooms.find((x) => x.roomId === ROOM)?.videoConsumers.find((c) => c.consumerId === consumers.simulcast.consumerId);
    expect(info).toMatchObject({ type: 'simulcast', preferredLayers: { spatialLayer: 0 } });
    const up = await sub.request('setConsumerPreferredLayers', { consumerId: consumers.simulcast.consumerId, spatialLayer: 2 });
    expect(up).toMatchObject({ ok: true, data: { preferredLayers: { spatialLayer: 2 } } });
  });

  it.each([
    ['a spatial layer the producer does not send', () => ({ consumerId: consumers.simulcast.consumerId, spatialLayer: 3 }), 'out of range'],
    ['a temporal layer the producer does not send', () => ({ consumerId: consumers.simulcast.consumerId, spatialLayer: 0, temporalLayer: 1 }), 'temporalLayer 1 out of range'],
    ['a single-layer consumer', () => ({ consumerId: consumers.single.consumerId, spatialLayer: 0 }), 'one layer only'],
    ['an audio consumer', () => ({ consumerId: consumers.audio.consumerId, spatialLayer: 0 }), 'not a video consumer'],
    ['an unknown consumer', () => ({ consumerId: 'nope', spatialLayer: 0 }), 'no such consumer'],
    ['a negative layer', () => ({ consumerId: consumers.simulcast.consumerId, spatialLayer: -1 }), 'spatialLayer'],
    ['a fractional layer', () => ({ consumerId: consumers.simulcast.consumerId, spatialLayer: 0.5 }), 'spatialLayer'],
    ['no layer', () => ({ consumerId: consumers.simulcast.consumerId }), 'spatialLayer'],
  ])('refuses %s (ok:false, the socket keeps serving)', async (_name, data, error) => {
    const r = await sub.request('setConsumerPreferredLayers', data());
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining(error) });
    expect((await sub.request('getRoom')).ok).toBe(true);
  });

  it('layerCounts reads W3C scalability modes', () => {
    expect(layerCounts('L3T3')).toEqual({ spatialLayers: 3, temporalLayers: 3 });
    expect(layerCounts('S2T1')).toEqual({ spatialLayers: 2, temporalLayers: 1 });
    expect(layerCounts('L1T3_KEY')).toEqual({ spatialLayers: 1, temporalLayers: 3 });
    expect(layerCounts(undefined)).toEqual({ spatialLayers: 1, temporalLayers: 1 });
  });
});

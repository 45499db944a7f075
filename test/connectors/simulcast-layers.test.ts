import { describe, expect, it } from 'vitest';
import {
  VideoLayerFit, chooseSpatialLayer, spatialLayerBitrates, spatialLayerCount,
} from '../../gateway/connectors/mediasoup-meeting/simulcast-layers.ts';
import type { RtpParameters } from '../../gateway/connectors/mediasoup-meeting/wire-types.ts';

const params = (encoding: { scalabilityMode?: string; maxBitrate?: number }): RtpParameters => ({
  codecs: [{ mimeType: 'video/H264', payloadType: 102, clockRate: 90000 }],
  headerExtensions: [],
  encodings: [{ ssrc: 1, ...encoding }],
});

describe('simulcast layer bit rates of a meeting consumer', () => {
  it('a single-layer consumer has nothing to choose', () => {
    expect(spatialLayerBitrates(params({}))).toBeUndefined();
    expect(spatialLayerBitrates(params({ scalabilityMode: 'L1T3' }))).toBeUndefined();
  });

  it('prefers the meeting\'s per-layer maxBitrate (consume layerBitrates)', () => {
    expect(spatialLayerBitrates(params({ scalabilityMode: 'L3T1', maxBitrate: 1_500_000 }), [100_000, 300_000, 1_500_000])).toEqual([100_000, 300_000, 1_500_000]);
  });

  it('ignores layerBitrates that do not match the layer count', () => {
    expect(spatialLayerBitrates(params({ scalabilityMode: 'L3T1' }), [100_000, 300_000])).toEqual([150_000, 500_000, 1_500_000]);
  });

  it('scales the typical table to the consumer encoding\'s maxBitrate (the top layer)', () => {
    expect(spatialLayerBitrates(params({ scalabilityMode: 'L3T3', maxBitrate: 3_000_000 }))).toEqual([300_000, 1_000_000, 3_000_000]);
  });

  it('falls back to the typical table, and to a factor of 3 per layer beyond it', () => {
    expect(spatialLayerBitrates(params({ scalabilityMode: 'S2T1' }))).toEqual([500_000, 1_500_000]);
    expect(spatialLayerBitrates(params({ scalabilityMode: 'L4T1' }))).toEqual([1_500_000 / 27, 1_500_000 / 9, 500_000, 1_500_000]);
  });

  it('reads spatial layer counts from scalability modes', () => {
    expect(spatialLayerCount('L3T3')).toBe(3);
    expect(spatialLayerCount('S2T1')).toBe(2);
    expect(spatialLayerCount('L1T3_KEY')).toBe(1);
    expect(spatialLayerCount('garbage')).toBe(1);
    expect(spatialLayerCount(undefined)).toBe(1);
  });
});

describe('choosing the spatial layer that fits the room', () => {
  const layers = [150_000, 500_000, 1_500_000];
  it.each([
    [256_000, 0], // a 256 kbit/s room gets the quarter-size layer
    [384_000, 0],
    [500_000, 1], // a layer exactly at the limit fits
    [1_000_000, 1],
    [2_000_000, 2],
    [Number.POSITIVE_INFINITY, 2], // no limit: the top layer
    [50_000, 0], // nothing fits: the lowest layer, the least the meeting can send
  ])('limit %d bit/s → layer %d', (limit, layer) => {
    expect(chooseSpatialLayer(limit, layers)).toBe(layer);
  });
});

describe('VideoLayerFit: a request only when the layer that fits changes', () => {
  it('a single-layer consumer: never a request', () => {
    const fit = new VideoLayerFit();
    expect(fit.next({})).toBeUndefined();
    fit.limitBps = 256_000;
    expect(fit.next({})).toBeUndefined();
    expect(fit.next(undefined)).toBeUndefined();
    expect(fit.requests).toBe(0);
  });

  it('before the owner states a limit, the lowest layer (no burst of the top layer toward a constrained room)', () => {
    const fit = new VideoLayerFit();
    expect(fit.next({ layerBitrates: [150_000, 500_000, 1_500_000] })).toBe(0);
    expect(fit.next({ layerBitrates: [150_000, 500_000, 1_500_000], preferredSpatialLayer: 0 })).toBeUndefined();
  });

  it('asks for the layer that fits, not again for the same, and again after the limit rises', () => {
    const fit = new VideoLayerFit();
    const consumer: { layerBitrates: number[]; preferredSpatialLayer?: number } = { layerBitrates: [150_000, 500_000, 1_500_000] };
    fit.limitBps = 256_000;
    expect(fit.next(consumer)).toBe(0);
    consumer.preferredSpatialLayer = 0;
    expect(fit.next(consumer)).toBeUndefined();
    fit.limitBps = Number.POSITIVE_INFINITY;
    expect(fit.next(consumer)).toBe(2);
    expect(fit.requests).toBe(2);
    expect(fit.stats(consumer)).toEqual({ limitBps: Number.POSITIVE_INFINITY, spatialLayer: 0, layerBitrates: consumer.layerBitrates, requests: 2 });
  });

  it('a large limit on a fresh consumer needs no request (the meeting forwards the top layer by default)', () => {
    const fit = new VideoLayerFit();
    fit.limitBps = 4_000_000;
    expect(fit.next({ layerBitrates: [150_000, 500_000, 1_500_000] })).toBeUndefined();
  });

  it('fit() records the layer asked for, and forgets it when the meeting refuses', async () => {
    const fit = new VideoLayerFit();
    fit.limitBps = 256_000;
    const consumer: { consumerId: string; layerBitrates: number[]; preferredSpatialLayer?: number } = { consumerId: 'c1', layerBitrates: [150_000, 500_000, 1_500_000] };
    const asked: [string, number][] = [];
    expect(await fit.fit(consumer, async (id, layer) => void asked.push([id, layer]))).toBe(0);
    expect(asked).toEqual([['c1', 0]]);
    expect(consumer.preferredSpatialLayer).toBe(0);
    expect(await fit.fit(consumer, async () => { throw new Error('not expected'); })).toBeUndefined(); // same layer: nothing sent
    fit.limitBps = Number.POSITIVE_INFINITY;
    await expect(fit.fit(consumer, async () => { throw new Error('refused'); })).rejects.toThrow('refused');
    expect(consumer.preferredSpatialLayer).toBeUndefined();
  });
});

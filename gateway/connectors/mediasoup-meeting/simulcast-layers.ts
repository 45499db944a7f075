import type { RtpParameters } from './wire-types.ts';

/**
 * Choosing the simulcast/SVC spatial layer of a meeting video consumer that fits the room's
 * bandwidth (issue #4: "simulcast/SVC layer chosen to fit the room's negotiated bandwidth").
 */

/**
 * Typical bit rates of 2 and 3 spatial layers, lowest first, bit/s: quarter, half and full size
 * at 30 fps (the meeting page's own caps, meeting/page SIMULCAST_ENCODINGS, and libwebrtc's
 * defaults for 320×180 / 640×360 / 1280×720 are of this order). Used when the meeting states no
 * per-layer bit rate.
 */
const TYPICAL_LAYER_BITRATES: Record<number, number[]> = {
  2: [500_000, 1_500_000],
  3: [150_000, 500_000, 1_500_000],
};

/** Spatial layers in a scalabilityMode ("L3T3", "S2T1"); mediasoup writes L<n>T<m> for simulcast. */
export function spatialLayerCount(scalabilityMode: string | undefined): number {
  const m = /^[LS](\d+)T\d+/.exec(scalabilityMode ?? '');
  return m ? Number(m[1]) : 1;
}

/**
 * The bit rate of each spatial layer of a consumer, lowest first, or undefined when it has one
 * layer only (nothing to choose). In order of preference:
 * 1. `layerBitrates` from the meeting's `consume` answer (the producer's encodings' maxBitrate);
 * 2. the consumer encoding's `maxBitrate` (mediasoup puts the highest layer's there) as the top
 *    layer, the lower ones scaled by the typical table's ratios;
 * 3. the typical table (or, for more layers than it knows, a factor of 3 per layer below 1.5 Mbit/s).
 */
export function spatialLayerBitrates(rtpParameters: RtpParameters, layerBitrates?: number[]): number[] | undefined {
  const encoding = rtpParameters.encodings[0];
  const count = spatialLayerCount(encoding?.scalabilityMode);
  if (count < 2) return undefined;
  if (layerBitrates && layerBitrates.length === count && layerBitrates.every((b) => b > 0)) return [...layerBitrates];
  const typical = TYPICAL_LAYER_BITRATES[count] ?? Array.from({ length: count }, (_, i) => 1_500_000 / 3 ** (count - 1 - i));
  const top = encoding?.maxBitrate;
  if (top !== undefined && top > 0) {
    const scale = top / typical[count - 1]!;
    return typical.map((b) => Math.round(b * scale));
  }
  return typical;
}

/**
 * The highest spatial layer whose bit rate fits `limitBps`; the lowest layer when none fits (it
 * is the least the meeting can send). `Infinity` (no limit): the top layer.
 */
export function chooseSpatialLayer(limitBps: number, bitrates: readonly number[]): number {
  let chosen = 0;
  for (let i = 0; i < bitrates.length; i++) if (bitrates[i]! <= limitBps) chosen = i;
  return chosen;
}

/**
 * MeetingLegStats.videoLayer: the room's limit (bit/s; absent until the owner states it), the
 * spatial layer asked for the current video source and its layers' bit rates (absent for a
 * single-layer source), and how many setConsumerPreferredLayers were sent.
 */
export interface VideoLayerStats {
  limitBps?: number;
  spatialLayer?: number;
  layerBitrates?: number[];
  requests: number;
}

/** What the layer choice needs of a consumer. */
export interface LayeredConsumer {
  /** Each spatial layer's bit rate, lowest first; absent for a single-layer consumer. */
  layerBitrates?: number[];
  /** The layer last asked for; absent = the meeting's default, the top one. */
  preferredSpatialLayer?: number;
}

/**
 * The room's video limit and the decision whether a consumer needs a new preferred layer: only
 * when it has several layers and the layer that fits differs from the one in force. Until the
 * owner states the limit (the bridge does on attach, `Infinity` for none) the lowest layer is
 * asked for, so a constrained room never starts with a burst of the top layer's keyframe.
 */
export class VideoLayerFit {
  /** bit/s; undefined until the owner states the room's limit (then the lowest layer meanwhile). */
  limitBps: number | undefined;
  /** setConsumerPreferredLayers requests decided. */
  requests = 0;

  /** The spatial layer to ask for now, or undefined when no request is needed. */
  next(consumer: LayeredConsumer | undefined): number | undefined {
    if (!consumer?.layerBitrates) return undefined;
    const layer = this.limitBps === undefined ? 0 : chooseSpatialLayer(this.limitBps, consumer.layerBitrates);
    const inForce = consumer.preferredSpatialLayer ?? consumer.layerBitrates.length - 1;
    if (layer === inForce) return undefined;
    this.requests++;
    return layer;
  }

  /**
   * Asks for `consumer`'s layer through `ask` (setConsumerPreferredLayers) when `next` says so, and
   * records it; a refused request leaves the meeting's choice unknown again (rejects with its error).
   * Resolves with the layer asked for, or undefined when nothing was sent.
   */
  async fit(consumer: (LayeredConsumer & { consumerId: string }) | undefined, ask: (consumerId: string, spatialLayer: number) => Promise<unknown>): Promise<number | undefined> {
    const layer = this.next(consumer);
    if (!consumer || layer === undefined) return undefined;
    consumer.preferredSpatialLayer = layer;
    try {
      await ask(consumer.consumerId, layer);
    } catch (error) {
      delete consumer.preferredSpatialLayer;
      throw error;
    }
    return layer;
  }

  stats(consumer: LayeredConsumer | undefined): VideoLayerStats {
    const bitrates = consumer?.layerBitrates;
    return {
      ...(this.limitBps !== undefined ? { limitBps: this.limitBps } : {}),
      ...(bitrates ? { spatialLayer: consumer.preferredSpatialLayer ?? bitrates.length - 1, layerBitrates: [...bitrates] } : {}),
      requests: this.requests,
    };
  }
}

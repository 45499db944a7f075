import type { types } from 'mediasoup';

/** The spatial/temporal layer counts a consumer forwards (its scalabilityMode, e.g. "L3T3"). */
export interface LayerCounts {
  spatialLayers: number;
  temporalLayers: number;
}

/**
 * Layer counts from a W3C scalabilityMode string ("L3T3", "S2T1", "L1T3_KEY"); mediasoup writes
 * `L<encodings>T<temporal>` into a simulcast consumer's single encoding. Absent: one and one.
 */
export function layerCounts(scalabilityMode: string | undefined): LayerCounts {
  const m = /^[LS](\d+)T(\d+)/.exec(scalabilityMode ?? '');
  if (!m) return { spatialLayers: 1, temporalLayers: 1 };
  return { spatialLayers: Number(m[1]), temporalLayers: Number(m[2]) };
}

/**
 * PROTOCOL.md `setConsumerPreferredLayers`: checks the request against what the consumer really
 * carries (mediasoup would clamp a wrong layer silently), then asks mediasoup to forward that
 * layer (the highest available at or below it).
 */
export async function setPreferredLayers(consumer: types.Consumer, spatialLayer: number, temporalLayer?: number): Promise<Record<string, unknown>> {
  if (consumer.kind !== 'video') throw new Error('setConsumerPreferredLayers: not a video consumer');
  if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
    throw new Error(`setConsumerPreferredLayers: consumer has one layer only (type ${consumer.type})`);
  }
  const counts = layerCounts(consumer.rtpParameters.encodings?.[0]?.scalabilityMode);
  if (spatialLayer >= counts.spatialLayers) {
    throw new Error(`setConsumerPreferredLayers: spatialLayer ${spatialLayer} out of range (0-${counts.spatialLayers - 1})`);
  }
  if (temporalLayer !== undefined && temporalLayer >= counts.temporalLayers) {
    throw new Error(`setConsumerPreferredLayers: temporalLayer ${temporalLayer} out of range (0-${counts.temporalLayers - 1})`);
  }
  await consumer.setPreferredLayers({ spatialLayer, ...(temporalLayer !== undefined ? { temporalLayer } : {}) });
  return { preferredLayers: consumer.preferredLayers ?? null };
}

/**
 * The producer's spatial layer bit rates (encodings' maxBitrate, lowest layer first, bit/s) when
 * every encoding states one; for the `consume` answer (PROTOCOL.md), so a client can pick a layer.
 */
export function layerBitrates(producer: types.Producer | undefined): number[] | undefined {
  const encodings = producer?.rtpParameters.encodings ?? [];
  if (encodings.length < 2 || !encodings.every((e) => typeof e.maxBitrate === 'number' && e.maxBitrate > 0)) return undefined;
  return encodings.map((e) => e.maxBitrate!);
}

import { z } from 'zod';
import { MeetingProtocolError } from './errors.ts';

/**
 * The shapes the meeting sends (meeting/PROTOCOL.md "Requests"/"Notifications"), declared on the
 * client side (the meeting is a separate service: never imported) and validated on arrival.
 * RTP parameter shapes follow mediasoup's RtpCapabilities/RtpParameters (ORTC-like, RFC 8829
 * terms). Unknown keys are kept, so a newer meeting does not break an older gateway.
 */
const mediaKind = z.enum(['audio', 'video']);
const rtcpFeedback = z.looseObject({ type: z.string(), parameter: z.string().optional() });
const codecParams = z.record(z.string(), z.union([z.string(), z.number()]));

const codecCapability = z.looseObject({
  kind: mediaKind,
  mimeType: z.string(),
  preferredPayloadType: z.number().int().min(0).max(127).optional(),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().optional(),
  parameters: codecParams.optional(),
  rtcpFeedback: z.array(rtcpFeedback).optional(),
});
const headerExtensionCapability = z.looseObject({
  kind: mediaKind,
  uri: z.string(),
  preferredId: z.number().int().min(1).max(255),
  preferredEncrypt: z.boolean().optional(),
  direction: z.string().optional(),
});
export const rtpCapabilitiesSchema = z.looseObject({
  codecs: z.array(codecCapability).default([]),
  headerExtensions: z.array(headerExtensionCapability).default([]),
});

const codecParameters = z.looseObject({
  mimeType: z.string(),
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().optional(),
  parameters: codecParams.optional(),
  rtcpFeedback: z.array(rtcpFeedback).optional(),
});
const headerExtensionParameters = z.looseObject({
  uri: z.string(),
  id: z.number().int().min(1).max(255),
  encrypt: z.boolean().optional(),
});
const ssrc = z.number().int().min(0).max(0xffffffff);
export const rtpParametersSchema = z.looseObject({
  mid: z.string().optional(),
  codecs: z.array(codecParameters).min(1),
  headerExtensions: z.array(headerExtensionParameters).default([]),
  encodings: z
    .array(
      z.looseObject({
        ssrc: ssrc.optional(),
        rtx: z.object({ ssrc }).optional(),
        // W3C webrtc-svc: "L3T3" etc.; mediasoup states a simulcast consumer's layers here
        scalabilityMode: z.string().max(32).optional(),
        maxBitrate: z.number().positive().optional(),
      }),
    )
    .default([]),
  rtcp: z.looseObject({ cname: z.string().optional(), reducedSize: z.boolean().optional() }).optional(),
});

const peerInfo = z.looseObject({
  peerId: z.string().min(1),
  displayName: z.string().default(''),
  kind: z.string().default('browser'),
  producers: z.array(z.looseObject({ producerId: z.string().min(1), kind: mediaKind })).default([]),
});

export const joinResponseSchema = z.looseObject({
  peerId: z.string().min(1),
  routerRtpCapabilities: rtpCapabilitiesSchema,
  peers: z.array(peerInfo).default([]),
});

export const transportResponseSchema = z.looseObject({
  transportId: z.string().min(1),
  iceParameters: z.looseObject({ usernameFragment: z.string().min(1), password: z.string().min(1), iceLite: z.boolean().optional() }),
  iceCandidates: z.array(
    z.looseObject({
      foundation: z.string(),
      priority: z.number(),
      // mediasoup >= 3.12 sends `address`, older versions `ip`
      address: z.string().optional(),
      ip: z.string().optional(),
      protocol: z.enum(['udp', 'tcp']),
      port: z.number().int().min(1).max(65535),
      type: z.string().default('host'),
      tcpType: z.string().optional(),
    }),
  ),
  dtlsParameters: z.looseObject({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z.array(z.looseObject({ algorithm: z.string(), value: z.string() })).min(1),
  }),
});

export const produceResponseSchema = z.looseObject({ producerId: z.string().min(1) });

export const consumeResponseSchema = z.looseObject({
  consumerId: z.string().min(1),
  producerId: z.string().min(1),
  peerId: z.string().min(1),
  kind: mediaKind,
  rtpParameters: rtpParametersSchema,
  /** mediasoup consumer type: 'simple' | 'simulcast' | 'svc' (absent from older meetings). */
  type: z.string().optional(),
  /** Each spatial layer's maxBitrate, lowest first, bit/s (PROTOCOL.md `consume`). */
  layerBitrates: z.array(z.number().positive()).max(16).optional(),
});

export const notificationSchemas = {
  peerJoined: z.looseObject({ peerId: z.string().min(1), displayName: z.string().default(''), kind: z.string().default('browser') }),
  peerLeft: z.looseObject({ peerId: z.string().min(1) }),
  newProducer: z.looseObject({ peerId: z.string().min(1), producerId: z.string().min(1), kind: mediaKind }),
  producerClosed: z.looseObject({ producerId: z.string().min(1), peerId: z.string().optional() }),
  consumerClosed: z.looseObject({ consumerId: z.string().min(1), producerId: z.string().optional() }),
  activeSpeaker: z.looseObject({ peerId: z.string().min(1) }),
  roomClosed: z.looseObject({ roomId: z.string().optional(), reason: z.string().optional() }),
  dtmfRequest: z.looseObject({
    digit: z.string().regex(/^[0-9*#A-D]$/),
    durationMs: z.number().int().positive().optional(),
    fromPeerId: z.string().optional(),
  }),
} as const;

export type MediaKind = z.infer<typeof mediaKind>;
export type RtpCapabilities = z.infer<typeof rtpCapabilitiesSchema>;
export type RtpCodecCapability = z.infer<typeof codecCapability>;
export type RtpHeaderExtensionCapability = z.infer<typeof headerExtensionCapability>;
export type RtpParameters = z.infer<typeof rtpParametersSchema>;
export type RtpCodecParameters = z.infer<typeof codecParameters>;
export type RtcpFeedback = z.infer<typeof rtcpFeedback>;
export type PeerInfo = z.infer<typeof peerInfo>;
export type JoinResponse = z.infer<typeof joinResponseSchema>;
export type TransportResponse = z.infer<typeof transportResponseSchema>;
export type ConsumeResponse = z.infer<typeof consumeResponseSchema>;
export type NotificationName = keyof typeof notificationSchemas;

/** Validates a response body; a bad one is the meeting's fault: MeetingProtocolError. */
export function parseResponse<S extends z.ZodType>(schema: S, method: string, data: unknown): z.infer<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw new MeetingProtocolError(`${method} response invalid at ${first?.path.join('.') || 'data'}: ${first?.message ?? 'invalid'}`);
}

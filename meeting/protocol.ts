import { z } from 'zod';

/**
 * Wire frames of the meeting signalling protocol (PROTOCOL.md "Frames" and "Requests").
 * Everything from the socket is untrusted: a frame is parsed, then its data validated against
 * the method's schema, before any handler sees it.
 */

export type PeerKind = 'browser' | 'gateway';

/** `Peer` as PROTOCOL.md describes it. */
export interface PeerInfo {
  peerId: string;
  displayName: string;
  kind: PeerKind;
  producers: { producerId: string; kind: 'audio' | 'video' }[];
}

export interface ResponseOk {
  id: number;
  ok: true;
  data: Record<string, unknown>;
}
export interface ResponseError {
  id: number;
  ok: false;
  error: string;
}
export interface Notification {
  notification: NotificationName;
  data: Record<string, unknown>;
}

export type NotificationName =
  | 'peerJoined'
  | 'peerLeft'
  | 'newProducer'
  | 'producerClosed'
  | 'consumerClosed'
  | 'activeSpeaker'
  | 'roomClosed'
  | 'participantDtmf'
  | 'dtmfRequest';

const id = z.string().min(1).max(200);
const anyObject = z.record(z.string(), z.unknown());
/** One DTMF key (RFC 4733 3.2: 0-9 * # A-D). */
const dtmfDigit = z.string().regex(/^[0-9*#A-D]$/, 'digit: one of 0-9 * # A-D');

/** Request data schemas, one per method. Unknown keys are allowed (forward compatibility). */
export const requestSchemas = {
  join: z.object({
    roomId: z.string().min(1).max(100).regex(/^[\w.-]+$/, 'roomId: letters, digits, _ . - only'),
    displayName: z.string().min(1).max(100),
    kind: z.enum(['browser', 'gateway']).optional(),
  }),
  setRtpCapabilities: z.object({ rtpCapabilities: anyObject }),
  createWebRtcTransport: z.object({ direction: z.enum(['send', 'recv', 'both']) }),
  connectWebRtcTransport: z.object({ transportId: id, dtlsParameters: anyObject }),
  produce: z.object({
    transportId: id,
    kind: z.enum(['audio', 'video']),
    rtpParameters: anyObject,
    appData: anyObject.optional(),
  }),
  closeProducer: z.object({ producerId: id }),
  consume: z.object({ transportId: id, producerId: id }),
  resumeConsumer: z.object({ consumerId: id }),
  pauseConsumer: z.object({ consumerId: id }),
  requestKeyFrame: z.object({ consumerId: id }),
  // PROTOCOL.md setConsumerPreferredLayers: layer indexes, 0 = lowest; checked against the consumer on arrival
  setConsumerPreferredLayers: z.object({
    consumerId: id,
    spatialLayer: z.number().int().min(0).max(15),
    temporalLayer: z.number().int().min(0).max(15).optional(),
  }),
  getRoom: z.object({}),
  dtmf: z.object({ digit: dtmfDigit, durationMs: z.number().int().min(0).max(60_000).optional() }),
  sendDtmf: z.object({ toPeerId: id, digit: dtmfDigit, durationMs: z.number().int().min(40).max(5000).optional() }),
  leave: z.object({}),
} as const;

export type Method = keyof typeof requestSchemas;
export type RequestData<M extends Method> = z.infer<(typeof requestSchemas)[M]>;

/** A request frame that passed validation. */
export type ValidRequest = { [M in Method]: { id: number; method: M; data: RequestData<M> } }[Method];

/** Why a frame was refused, and the id to answer with if it had a usable one. */
export interface FrameError {
  id?: number;
  error: string;
}

/** Parse and validate one text frame. Never throws. */
export function parseRequest(text: string): ValidRequest | FrameError {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return { error: 'malformed frame: not JSON' };
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return { error: 'malformed frame: not a JSON object' };
  }
  const f = frame as Record<string, unknown>;
  const reqId = Number.isSafeInteger(f.id) ? (f.id as number) : undefined;
  if (reqId === undefined) return { error: 'malformed frame: missing integer id' };
  if (typeof f.method !== 'string') return { id: reqId, error: 'malformed frame: missing method' };
  if (!Object.hasOwn(requestSchemas, f.method)) return { id: reqId, error: `unknown method: ${f.method.slice(0, 50)}` };
  const method = f.method as Method;
  const parsed = requestSchemas[method].safeParse(f.data ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join('.') || 'data';
    return { id: reqId, error: `invalid ${method} data: ${where}: ${first?.message ?? 'invalid'}` };
  }
  return { id: reqId, method, data: parsed.data } as ValidRequest;
}

export function isFrameError(x: ValidRequest | FrameError): x is FrameError {
  return 'error' in x;
}

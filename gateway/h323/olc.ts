// fastStart OpenLogicalChannel structures (H.323 8.1.7): reading a caller's proposals, choosing
// one channel per direction and media type, building the answers, and building proposals (the
// test room). Each element is a PER-encoded OpenLogicalChannel (H.245 8.4), not a
// MultimediaSystemControlMessage.
//   room → gateway ("fromRoom"): forwardLogicalChannelParameters carry the media type and the
//     room's RTCP address; the answer adds our RTP address (mediaChannel) and RTCP address.
//   gateway → room ("toRoom"): forward dataType nullData, reverseLogicalChannelParameters carry
//     the media type and the room's RTP (mediaChannel) and RTCP addresses; the answer names a
//     forwardLogicalChannelNumber of ours and our RTCP address (H.323 8.1.7.1).
import {
  choice, h245Address, h263Capability, h323Codec, readH245Address, h264Capability, audioCapability,
  type Choice, type Fields, type IpPort, type MediaCapability,
} from '../../h323/asn1/index.ts';
import { readMediaCapability } from '../../h323/h245/index.ts';

const OLC = 'MULTIMEDIA-SYSTEM-CONTROL.OpenLogicalChannel';

export interface FastStartChannel {
  /** Index in the caller's fastStart list. */
  index: number;
  /** forwardLogicalChannelNumber as proposed. */
  channel: number;
  direction: 'fromRoom' | 'toRoom';
  kind: 'audio' | 'video';
  media: MediaCapability;
  sessionId: number;
  /** RTP address (toRoom: where the room receives; answers to fromRoom: where the gateway receives). */
  mediaChannel?: IpPort;
  /** RTCP address. */
  mediaControlChannel?: IpPort;
  /** dynamicRTPPayloadType, when given. */
  payloadType?: number;
  /** The decoded structure, for building the answer. */
  value: Fields;
}

export function decodeOlc(bytes: Uint8Array): Fields {
  return h323Codec().decode(OLC, bytes) as Fields;
}

export function encodeOlc(value: Fields): Uint8Array {
  return h323Codec().encode(OLC, value);
}

/** One fastStart element as a channel roomgate can carry; undefined for anything else (data, nullData both ways, other codecs, undecodable). */
export function readFastStartChannel(bytes: Uint8Array, index: number): FastStartChannel | undefined {
  let v: Fields;
  try {
    v = decodeOlc(bytes);
  } catch {
    return undefined;
  }
  const fwd = v.forwardLogicalChannelParameters as Fields;
  const rev = v.reverseLogicalChannelParameters as Fields | undefined;
  const fwdType = fwd.dataType as Choice;
  const params = fwdType.type === 'nullData' ? rev : fwd;
  if (!params) return undefined;
  const dt = params.dataType as Choice;
  if (dt.type !== 'audioData' && dt.type !== 'videoData') return undefined;
  const kind = dt.type === 'audioData' ? 'audio' : 'video';
  const media = readMediaCapability(kind, dt.value as Choice);
  const mux = params.multiplexParameters as Choice<string, Fields> | undefined;
  if (!media || mux?.type !== 'h2250LogicalChannelParameters') return undefined;
  const h = mux.value;
  const out: FastStartChannel = {
    index, channel: v.forwardLogicalChannelNumber as number, direction: fwdType.type === 'nullData' ? 'toRoom' : 'fromRoom',
    kind, media, sessionId: h.sessionID as number, value: v,
  };
  const m = readH245Address(h.mediaChannel);
  if (m) out.mediaChannel = m;
  const c = readH245Address(h.mediaControlChannel);
  if (c) out.mediaControlChannel = c;
  if (typeof h.dynamicRTPPayloadType === 'number') out.payloadType = h.dynamicRTPPayloadType;
  return out;
}

const sameCodec = (a: MediaCapability, b: MediaCapability) => a.codec === b.codec;

/**
 * H.323 8.1.7.1: at most one proposal per direction and media type is accepted. For each kind,
 * the first toRoom proposal whose codec we carry and that has a fromRoom partner with the same
 * codec (CallMedia runs one codec both ways), in the caller's order of preference.
 */
export function chooseFastStart(channels: FastStartChannel[], supported: (m: MediaCapability) => boolean): {
  audio?: { fromRoom: FastStartChannel; toRoom: FastStartChannel };
  video?: { fromRoom: FastStartChannel; toRoom: FastStartChannel };
} {
  const out: ReturnType<typeof chooseFastStart> = {};
  for (const kind of ['audio', 'video'] as const) {
    const mine = channels.filter((c) => c.kind === kind && supported(c.media));
    for (const toRoom of mine.filter((c) => c.direction === 'toRoom' && c.mediaChannel)) {
      const fromRoom = mine.find((c) => c.direction === 'fromRoom' && sameCodec(c.media, toRoom.media));
      if (fromRoom) {
        out[kind] = { fromRoom, toRoom };
        break;
      }
    }
  }
  return out;
}

function withH2250(p: Fields, patch: Fields): Fields {
  const mux = p.multiplexParameters as Choice<string, Fields>;
  return { ...p, multiplexParameters: choice('h2250LogicalChannelParameters', { ...mux.value, ...patch }) };
}

/** The answer to a fromRoom proposal: our RTP and RTCP addresses in its forward parameters. */
export function answerFromRoom(ch: FastStartChannel, ours: { rtp: IpPort; rtcp: IpPort }): Uint8Array {
  const fwd = ch.value.forwardLogicalChannelParameters as Fields;
  return encodeOlc({ ...ch.value, forwardLogicalChannelParameters: withH2250(fwd, { mediaChannel: h245Address(ours.rtp), mediaControlChannel: h245Address(ours.rtcp) }) });
}

/** The answer to a toRoom proposal: our channel number and RTCP address in its reverse parameters. */
export function answerToRoom(ch: FastStartChannel, ours: { channel: number; rtcp: IpPort }): Uint8Array {
  const rev = ch.value.reverseLogicalChannelParameters as Fields;
  return encodeOlc({ ...ch.value, forwardLogicalChannelNumber: ours.channel, reverseLogicalChannelParameters: withH2250(rev, { mediaControlChannel: h245Address(ours.rtcp) }) });
}

function dataType(media: MediaCapability): Choice {
  if (media.codec === 'h264') return choice('videoData', h264Capability(media));
  if (media.codec === 'h263') return choice('videoData', h263Capability(media));
  return choice('audioData', audioCapability(media));
}

/** A caller's proposal (what a room sends in Setup): `fromRoom` carries our RTCP, `toRoom` our RTP and RTCP. */
export function proposeFastStart(o: {
  direction: 'fromRoom' | 'toRoom'; channel: number; media: MediaCapability; sessionId: number; rtp: IpPort; rtcp: IpPort; payloadType?: number;
}): Uint8Array {
  const h2250: Fields = { sessionID: o.sessionId };
  if (o.direction === 'toRoom') h2250.mediaChannel = h245Address(o.rtp);
  h2250.mediaControlChannel = h245Address(o.rtcp);
  if (o.payloadType !== undefined) h2250.dynamicRTPPayloadType = o.payloadType;
  const params = { dataType: dataType(o.media), multiplexParameters: choice('h2250LogicalChannelParameters', h2250) };
  if (o.direction === 'fromRoom') {
    return encodeOlc({ forwardLogicalChannelNumber: o.channel, forwardLogicalChannelParameters: params });
  }
  return encodeOlc({
    forwardLogicalChannelNumber: o.channel,
    forwardLogicalChannelParameters: { dataType: choice('nullData', null), multiplexParameters: choice('none', null) },
    reverseLogicalChannelParameters: params,
  });
}

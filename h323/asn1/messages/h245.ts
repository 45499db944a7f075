// H.245 MultimediaSystemControlMessage builders and accessors for the messages an H.323 call
// with audio (G.711, G.722) and video (H.264 per H.241, H.263) needs.
import { h323Codec } from '../h323-schema.ts';
import {
  H245_PROTOCOL_ID, H264_CAPABILITY_OID, choice, h245Address, readH245Address, type Choice, type Fields, type IpPort,
} from './common.ts';

export type H245Message = Choice<'request' | 'response' | 'command' | 'indication', Choice<string, unknown>>;

export function encodeH245(msg: H245Message): Uint8Array {
  return h323Codec().encode('MultimediaSystemControlMessage', msg);
}

/** Throws PerDecodeError on malformed input. */
export function decodeH245(bytes: Uint8Array): H245Message {
  return h323Codec().decode('MultimediaSystemControlMessage', bytes) as H245Message;
}

/** The message kind, e.g. `request.terminalCapabilitySet`. */
export function h245Kind(msg: H245Message): string {
  return `${msg.type}.${msg.value.type}`;
}

const request = (type: string, value: unknown): H245Message => choice('request', choice(type, value));
const response = (type: string, value: unknown): H245Message => choice('response', choice(type, value));
const command = (type: string, value: unknown): H245Message => choice('command', choice(type, value));
const indication = (type: string, value: unknown): H245Message => choice('indication', choice(type, value));

// ---- master/slave determination (H.245 8.2) ---------------------------------------------------

/** terminalType: 50 terminal, 60 gateway, 190 MC... (H.323 Table 1); number: random 0..2^24-1. */
export function masterSlaveDetermination(terminalType: number, statusDeterminationNumber: number): H245Message {
  return request('masterSlaveDetermination', { terminalType, statusDeterminationNumber });
}
export function masterSlaveDeterminationAck(decision: 'master' | 'slave'): H245Message {
  return response('masterSlaveDeterminationAck', { decision: choice(decision, null) });
}
export function masterSlaveDeterminationReject(): H245Message {
  return response('masterSlaveDeterminationReject', { cause: choice('identicalNumbers', null) });
}
export function masterSlaveDeterminationRelease(): H245Message {
  return indication('masterSlaveDeterminationRelease', {});
}

// ---- capabilities (H.245 8.3) ----------------------------------------------------------------

export type MediaCapability =
  | { codec: 'g711Ulaw64k' | 'g711Alaw64k'; framesPerPacket: number }
  | { codec: 'g722-64k'; framesPerPacket: number }
  /** H.264 per H.241: profile as the booleanArray bit mask (0x40 = baseline), level as the H.241 level parameter value (e.g. 71 = level 3.1). */
  | { codec: 'h264'; maxBitRate: number; profile: number; level: number }
  /** H.263: MPIs in units of 1/29.97 s, maxBitRate in 100 bit/s. */
  | { codec: 'h263'; qcifMPI?: number; cifMPI?: number; maxBitRate: number };

/** Audio capability / DataType.audioData value of a codec. */
export function audioCapability(c: Extract<MediaCapability, { framesPerPacket: number }>): Choice {
  return choice(c.codec, c.framesPerPacket);
}

/** H.241 8.3: H.264 as a GenericCapability; parameter 41 = profile (booleanArray), 42 = level (unsignedMin). */
export function h264Capability(c: { maxBitRate: number; profile: number; level: number }): Choice {
  return choice('genericVideoCapability', {
    capabilityIdentifier: choice('standard', H264_CAPABILITY_OID),
    maxBitRate: c.maxBitRate,
    collapsing: [
      { parameterIdentifier: choice('standard', 41), parameterValue: choice('booleanArray', c.profile) },
      { parameterIdentifier: choice('standard', 42), parameterValue: choice('unsignedMin', c.level) },
    ],
  });
}

export function h263Capability(c: { qcifMPI?: number; cifMPI?: number; maxBitRate: number }): Choice {
  return choice('h263VideoCapability', {
    ...(c.qcifMPI ? { qcifMPI: c.qcifMPI } : {}),
    ...(c.cifMPI ? { cifMPI: c.cifMPI } : {}),
    maxBitRate: c.maxBitRate,
    unrestrictedVector: false,
    arithmeticCoding: false,
    advancedPrediction: false,
    pbFrames: false,
    temporalSpatialTradeOffCapability: false,
    errorCompensation: false,
  });
}

function dataType(c: MediaCapability): Choice {
  if (c.codec === 'h264') return choice('videoData', h264Capability(c));
  if (c.codec === 'h263') return choice('videoData', h263Capability(c));
  return choice('audioData', audioCapability(c));
}

/** A capability table entry: a media capability, or user input as alphanumeric ('userInput',
 *  basicString) or as DTMF signals ('dtmf', userInput signal/signalUpdate). */
export type CapabilityEntry = MediaCapability | 'userInput' | 'dtmf';

function capabilityEntry(c: CapabilityEntry): Choice {
  if (c === 'userInput') return choice('receiveUserInputCapability', choice('basicString', null));
  if (c === 'dtmf') return choice('receiveUserInputCapability', choice('dtmf', null));
  const d = dataType(c);
  return choice(d.type === 'videoData' ? 'receiveVideoCapability' : 'receiveAudioCapability', d.value);
}

const noMultipoint = { multicastCapability: false, multiUniCastConference: false, mediaDistributionCapability: [] };

/** TerminalCapabilitySet: table entries numbered from 1; one descriptor whose alternative sets
 *  are `simultaneous` (lists of 0-based indexes into `capabilities`), default all audio | all video
 *  | each user input method on its own. */
export function terminalCapabilitySet(o: {
  sequenceNumber: number; capabilities: CapabilityEntry[]; simultaneous?: number[][];
}): H245Message {
  const table = o.capabilities.map((c, i) => ({ capabilityTableEntryNumber: i + 1, capability: capabilityEntry(c) }));
  const isVideo = (c: CapabilityEntry) => typeof c !== 'string' && (c.codec === 'h264' || c.codec === 'h263');
  const sets = o.simultaneous ?? [
    o.capabilities.flatMap((c, i) => (typeof c !== 'string' && !isVideo(c) ? [i] : [])),
    o.capabilities.flatMap((c, i) => (isVideo(c) ? [i] : [])),
    // each user input method in a set of its own: all usable at once
    ...o.capabilities.flatMap((c, i) => (c === 'userInput' || c === 'dtmf' ? [[i]] : [])),
  ].filter((s) => s.length > 0);
  return request('terminalCapabilitySet', {
    sequenceNumber: o.sequenceNumber,
    protocolIdentifier: H245_PROTOCOL_ID,
    multiplexCapability: choice('h2250Capability', {
      maximumAudioDelayJitter: 60,
      receiveMultipointCapability: noMultipoint,
      transmitMultipointCapability: noMultipoint,
      receiveAndTransmitMultipointCapability: noMultipoint,
      mcCapability: { centralizedConferenceMC: false, decentralizedConferenceMC: false },
      rtcpVideoControlCapability: false,
      mediaPacketizationCapability: { h261aVideoPacketization: false },
      logicalChannelSwitchingCapability: false,
      t120DynamicPortCapability: false,
    }),
    capabilityTable: table,
    capabilityDescriptors: [{
      capabilityDescriptorNumber: 0,
      simultaneousCapabilities: sets.map((s) => s.map((i) => i + 1)),
    }],
  });
}

/** An empty TerminalCapabilitySet (H.323 8.4.6: puts the call on hold). */
export function emptyTerminalCapabilitySet(sequenceNumber: number): H245Message {
  return request('terminalCapabilitySet', { sequenceNumber, protocolIdentifier: H245_PROTOCOL_ID });
}

export function terminalCapabilitySetAck(sequenceNumber: number): H245Message {
  return response('terminalCapabilitySetAck', { sequenceNumber });
}

export type TcsRejectCause = 'unspecified' | 'undefinedTableEntryUsed' | 'descriptorCapacityExceeded';

export function terminalCapabilitySetReject(sequenceNumber: number, cause: TcsRejectCause = 'unspecified'): H245Message {
  return response('terminalCapabilitySetReject', { sequenceNumber, cause: choice(cause, null) });
}

/** H.245 C.3: sent by the outgoing CESE when T101 expires. */
export function terminalCapabilitySetRelease(): H245Message {
  return indication('terminalCapabilitySetRelease', {});
}

// ---- logical channels (H.245 8.4; H.2250LogicalChannelParameters carry the RTP/RTCP addresses) -

export function openLogicalChannel(o: {
  channel: number; media: MediaCapability; sessionId: number; mediaChannel?: IpPort; mediaControlChannel: IpPort;
  dynamicPayloadType?: number; silenceSuppression?: boolean;
}): H245Message {
  const h2250: Fields = { sessionID: o.sessionId };
  if (o.mediaChannel) h2250.mediaChannel = h245Address(o.mediaChannel);
  h2250.mediaControlChannel = h245Address(o.mediaControlChannel);
  if (o.silenceSuppression !== undefined) h2250.silenceSuppression = o.silenceSuppression;
  if (o.dynamicPayloadType !== undefined) h2250.dynamicRTPPayloadType = o.dynamicPayloadType;
  return request('openLogicalChannel', {
    forwardLogicalChannelNumber: o.channel,
    forwardLogicalChannelParameters: {
      dataType: dataType(o.media),
      multiplexParameters: choice('h2250LogicalChannelParameters', h2250),
    },
  });
}

export function openLogicalChannelAck(o: {
  channel: number; sessionId?: number; mediaChannel: IpPort; mediaControlChannel: IpPort;
}): H245Message {
  return response('openLogicalChannelAck', {
    forwardLogicalChannelNumber: o.channel,
    forwardMultiplexAckParameters: choice('h2250LogicalChannelAckParameters', {
      ...(o.sessionId ? { sessionID: o.sessionId } : {}),
      mediaChannel: h245Address(o.mediaChannel),
      mediaControlChannel: h245Address(o.mediaControlChannel),
      flowControlToZero: false,
    }),
  });
}

export type OlcRejectCause = 'unspecified' | 'unsuitableReverseParameters' | 'dataTypeNotSupported' | 'dataTypeNotAvailable'
  | 'unknownDataType' | 'insufficientBandwidth' | 'invalidSessionID' | 'masterSlaveConflict';

export function openLogicalChannelReject(channel: number, cause: OlcRejectCause): H245Message {
  return response('openLogicalChannelReject', { forwardLogicalChannelNumber: channel, cause: choice(cause, null) });
}

export function closeLogicalChannel(channel: number, source: 'user' | 'lcse' = 'user'): H245Message {
  return request('closeLogicalChannel', {
    forwardLogicalChannelNumber: channel, source: choice(source, null), reason: choice('unknown', null),
  });
}

export function closeLogicalChannelAck(channel: number): H245Message {
  return response('closeLogicalChannelAck', { forwardLogicalChannelNumber: channel });
}

export function requestChannelClose(channel: number): H245Message {
  return request('requestChannelClose', { forwardLogicalChannelNumber: channel, reason: choice('normal', null) });
}
export function requestChannelCloseAck(channel: number): H245Message {
  return response('requestChannelCloseAck', { forwardLogicalChannelNumber: channel });
}
export function requestChannelCloseReject(channel: number): H245Message {
  return response('requestChannelCloseReject', { forwardLogicalChannelNumber: channel, cause: choice('unspecified', null) });
}
/** H.245 C.8: sent by the outgoing CLCSE when T108 expires. */
export function requestChannelCloseRelease(channel: number): H245Message {
  return indication('requestChannelCloseRelease', { forwardLogicalChannelNumber: channel });
}

// ---- maintenance, commands, indications -------------------------------------------------------

export function roundTripDelayRequest(sequenceNumber: number): H245Message {
  return request('roundTripDelayRequest', { sequenceNumber });
}
export function roundTripDelayResponse(sequenceNumber: number): H245Message {
  return response('roundTripDelayResponse', { sequenceNumber });
}
export function endSessionCommand(): H245Message {
  return command('endSessionCommand', choice('disconnect', null));
}
/** Keyframe request (H.245 miscellaneousCommand videoFastUpdatePicture). */
export function videoFastUpdatePicture(channel: number): H245Message {
  return command('miscellaneousCommand', { logicalChannelNumber: channel, type: choice('videoFastUpdatePicture', null) });
}
/** maximumBitRate in units of 100 bit/s. */
export function flowControlCommand(channel: number, maximumBitRate: number): H245Message {
  return command('flowControlCommand', {
    scope: choice('logicalChannelNumber', channel), restriction: choice('maximumBitRate', maximumBitRate),
  });
}
export function userInputAlphanumeric(text: string): H245Message {
  return indication('userInput', choice('alphanumeric', text));
}
/** DTMF as a signal (H.245 userInput signal): one of 0-9 # * A-D !, duration in ms. */
export function userInputSignal(signalType: string, durationMs?: number): H245Message {
  return indication('userInput', choice('signal', { signalType, ...(durationMs ? { duration: durationMs } : {}) }));
}

/** H.245 indication functionNotUnderstood: returns a request, response or command that was not understood. */
export function functionNotUnderstood(returned: H245Message): H245Message {
  if (returned.type === 'indication') throw new RangeError('an indication cannot be returned in FunctionNotUnderstood');
  return indication('functionNotUnderstood', choice(returned.type, returned.value));
}
/** FunctionNotSupported with the received octets (`returnedFunction`) when there are any. */
export function functionNotSupported(cause: 'syntaxError' | 'semanticError' | 'unknownFunction', returnedFunction?: Uint8Array): H245Message {
  return indication('functionNotSupported', { cause: choice(cause, null), ...(returnedFunction ? { returnedFunction } : {}) });
}

// ---- accessors ---------------------------------------------------------------------------------

export interface OpenLogicalChannelView {
  channel: number;
  dataType: string;
  codec?: string;
  sessionId?: number;
  mediaChannel?: IpPort;
  mediaControlChannel?: IpPort;
}

export function readOpenLogicalChannel(msg: H245Message): OpenLogicalChannelView | undefined {
  if (h245Kind(msg) !== 'request.openLogicalChannel') return undefined;
  const v = msg.value.value as Fields;
  const fwd = v.forwardLogicalChannelParameters as Fields;
  const dt = fwd.dataType as Choice;
  const out: OpenLogicalChannelView = { channel: v.forwardLogicalChannelNumber as number, dataType: dt.type };
  const cap = dt.value as Choice | null;
  if (cap && typeof cap === 'object' && 'type' in cap) out.codec = cap.type;
  const mux = fwd.multiplexParameters as Choice<string, Fields>;
  if (mux.type === 'h2250LogicalChannelParameters') {
    out.sessionId = mux.value.sessionID as number;
    const m = readH245Address(mux.value.mediaChannel);
    if (m) out.mediaChannel = m;
    const c = readH245Address(mux.value.mediaControlChannel);
    if (c) out.mediaControlChannel = c;
  }
  return out;
}

export function readOpenLogicalChannelAck(msg: H245Message): { channel: number; mediaChannel?: IpPort; mediaControlChannel?: IpPort } | undefined {
  if (h245Kind(msg) !== 'response.openLogicalChannelAck') return undefined;
  const v = msg.value.value as Fields;
  const ack = (v.forwardMultiplexAckParameters as Choice<string, Fields> | undefined)?.value;
  const out: { channel: number; mediaChannel?: IpPort; mediaControlChannel?: IpPort } = { channel: v.forwardLogicalChannelNumber as number };
  const m = readH245Address(ack?.mediaChannel);
  if (m) out.mediaChannel = m;
  const c = readH245Address(ack?.mediaControlChannel);
  if (c) out.mediaControlChannel = c;
  return out;
}

// RAS messages (H.225.0 clause 7, RasMessage): builders for what the gateway sends and
// accessors for the gatekeeper's answers.
import { h323Codec } from '../h323-schema.ts';
import {
  H225_PROTOCOL_ID, aliasAddress, choice, endpointType, h225Address, readAlias, readH225Address, vendorIdentifier,
  ROOMGATE_VENDOR, type Alias, type Choice, type Fields, type IpPort, type Vendor,
} from './common.ts';

export type RasMessageType =
  | 'gatekeeperRequest' | 'gatekeeperConfirm' | 'gatekeeperReject'
  | 'registrationRequest' | 'registrationConfirm' | 'registrationReject'
  | 'unregistrationRequest' | 'unregistrationConfirm' | 'unregistrationReject'
  | 'admissionRequest' | 'admissionConfirm' | 'admissionReject'
  | 'bandwidthRequest' | 'bandwidthConfirm' | 'bandwidthReject'
  | 'disengageRequest' | 'disengageConfirm' | 'disengageReject'
  | 'infoRequest' | 'infoRequestResponse' | (string & {});

export type RasMessage = Choice<RasMessageType, Fields>;

export function encodeRas(msg: RasMessage): Uint8Array {
  return h323Codec().encode('RasMessage', msg);
}

/** Throws PerDecodeError on malformed input. */
export function decodeRas(bytes: Uint8Array): RasMessage {
  return h323Codec().decode('RasMessage', bytes) as RasMessage;
}

export function gatekeeperRequest(o: {
  seq: number; rasAddress: IpPort; aliases?: Alias[]; gatekeeperId?: string; kind?: 'gateway' | 'terminal';
}): RasMessage {
  const v: Fields = {
    requestSeqNum: o.seq,
    protocolIdentifier: H225_PROTOCOL_ID,
    rasAddress: h225Address(o.rasAddress),
    endpointType: endpointType({ kind: o.kind ?? 'gateway' }),
    supportsAssignedGK: false,
  };
  if (o.gatekeeperId) v.gatekeeperIdentifier = o.gatekeeperId;
  if (o.aliases?.length) v.endpointAlias = o.aliases.map(aliasAddress);
  return choice('gatekeeperRequest', v);
}

export interface RegistrationOptions {
  seq: number;
  callSignalAddress: IpPort;
  rasAddress: IpPort;
  /** terminalAlias: the names/numbers the gatekeeper routes to us. */
  aliases?: Alias[];
  /** Dialling prefixes announced as a gateway (EndpointType.gateway.protocol h323 supportedPrefixes). */
  prefixes?: string[];
  gatekeeperId?: string;
  endpointId?: string;
  timeToLiveS?: number;
  vendor?: Vendor;
  kind?: 'gateway' | 'terminal';
  /** RRQ discoveryComplete: TRUE only after GRQ/GCF with this gatekeeper. Default: gatekeeperId given. */
  discoveryComplete?: boolean;
}

/** Full registration (H.225.0 7.2.2); keepAlive=false. */
export function registrationRequest(o: RegistrationOptions): RasMessage {
  const v: Fields = {
    requestSeqNum: o.seq,
    protocolIdentifier: H225_PROTOCOL_ID,
    discoveryComplete: o.discoveryComplete ?? o.gatekeeperId !== undefined,
    callSignalAddress: [h225Address(o.callSignalAddress)],
    rasAddress: [h225Address(o.rasAddress)],
    terminalType: endpointType({ kind: o.kind ?? 'gateway', vendor: o.vendor, prefixes: o.prefixes }),
    endpointVendor: vendorIdentifier(o.vendor ?? ROOMGATE_VENDOR),
    keepAlive: false,
    willSupplyUUIEs: false,
    maintainConnection: false,
    supportsAssignedGK: false,
  };
  if (o.aliases?.length) v.terminalAlias = o.aliases.map(aliasAddress);
  if (o.gatekeeperId) v.gatekeeperIdentifier = o.gatekeeperId;
  if (o.timeToLiveS) v.timeToLive = o.timeToLiveS;
  if (o.endpointId) v.endpointIdentifier = o.endpointId;
  return choice('registrationRequest', v);
}

/** Lightweight re-registration (H.225.0 7.2.2.1): keepAlive=true with the endpoint identifier, no aliases. */
export function keepAliveRegistrationRequest(o: RegistrationOptions & { endpointId: string }): RasMessage {
  const full = registrationRequest({ ...o, aliases: undefined, prefixes: undefined });
  return choice('registrationRequest', { ...full.value, keepAlive: true, endpointIdentifier: o.endpointId });
}

export function unregistrationRequest(o: {
  seq: number; callSignalAddress: IpPort; aliases?: Alias[]; endpointId?: string; gatekeeperId?: string;
  reason?: 'reregistrationRequired' | 'ttlExpired' | 'undefinedReason' | 'maintenance';
}): RasMessage {
  const v: Fields = { requestSeqNum: o.seq, callSignalAddress: [h225Address(o.callSignalAddress)] };
  if (o.aliases?.length) v.endpointAlias = o.aliases.map(aliasAddress);
  if (o.endpointId) v.endpointIdentifier = o.endpointId;
  if (o.gatekeeperId) v.gatekeeperIdentifier = o.gatekeeperId;
  if (o.reason) v.reason = choice(o.reason, null);
  return choice('unregistrationRequest', v);
}

/** Our answer to a gatekeeper-initiated URQ. */
export function unregistrationConfirm(seq: number): RasMessage {
  return choice('unregistrationConfirm', { requestSeqNum: seq });
}

export function unregistrationReject(seq: number, reason: 'notCurrentlyRegistered' | 'callInProgress' | 'undefinedReason'): RasMessage {
  return choice('unregistrationReject', { requestSeqNum: seq, rejectReason: choice(reason, null) });
}

export interface CallRef {
  endpointId: string;
  conferenceId: Uint8Array;
  callId: Uint8Array;
  callReference: number;
}

export function admissionRequest(o: CallRef & {
  seq: number; answerCall: boolean; bandwidth: number; source: Alias[]; destination?: Alias[];
  destCallSignalAddress?: IpPort; srcCallSignalAddress?: IpPort; gatekeeperId?: string;
}): RasMessage {
  const v: Fields = {
    requestSeqNum: o.seq,
    callType: choice('pointToPoint', null),
    callModel: choice('direct', null),
    endpointIdentifier: o.endpointId,
    srcInfo: o.source.map(aliasAddress),
    bandWidth: o.bandwidth, // in units of 100 bit/s (H.225.0 7.6)
    callReferenceValue: o.callReference,
    conferenceID: o.conferenceId,
    activeMC: false,
    answerCall: o.answerCall,
    canMapAlias: true,
    callIdentifier: { guid: o.callId },
    willSupplyUUIEs: false,
    canMapSrcAlias: false,
  };
  if (o.destination?.length) v.destinationInfo = o.destination.map(aliasAddress);
  if (o.destCallSignalAddress) v.destCallSignalAddress = h225Address(o.destCallSignalAddress);
  if (o.srcCallSignalAddress) v.srcCallSignalAddress = h225Address(o.srcCallSignalAddress);
  if (o.gatekeeperId) v.gatekeeperIdentifier = o.gatekeeperId;
  return choice('admissionRequest', v);
}

export function bandwidthRequest(o: CallRef & { seq: number; bandwidth: number; answeredCall: boolean }): RasMessage {
  return choice('bandwidthRequest', {
    requestSeqNum: o.seq,
    endpointIdentifier: o.endpointId,
    conferenceID: o.conferenceId,
    callReferenceValue: o.callReference,
    callType: choice('pointToPoint', null),
    bandWidth: o.bandwidth,
    callIdentifier: { guid: o.callId },
    answeredCall: o.answeredCall,
  });
}

export function disengageRequest(o: CallRef & {
  seq: number; answeredCall: boolean; reason?: 'forcedDrop' | 'normalDrop' | 'undefinedReason';
}): RasMessage {
  return choice('disengageRequest', {
    requestSeqNum: o.seq,
    endpointIdentifier: o.endpointId,
    conferenceID: o.conferenceId,
    callReferenceValue: o.callReference,
    disengageReason: choice(o.reason ?? 'normalDrop', null),
    callIdentifier: { guid: o.callId },
    answeredCall: o.answeredCall,
  });
}

/** Answer to an IRQ (H.225.0 7.15): the endpoint and optionally its calls. */
export function infoRequestResponse(o: {
  seq: number; endpointId: string; rasAddress: IpPort; callSignalAddress: IpPort; aliases?: Alias[];
  calls?: (CallRef & { h245?: IpPort; originator: boolean; bandwidth: number })[]; unsolicited?: boolean;
}): RasMessage {
  const v: Fields = {
    requestSeqNum: o.seq,
    endpointType: endpointType({ kind: 'gateway' }),
    endpointIdentifier: o.endpointId,
    rasAddress: h225Address(o.rasAddress),
    callSignalAddress: [h225Address(o.callSignalAddress)],
    needResponse: false,
    unsolicited: o.unsolicited ?? false,
  };
  if (o.aliases?.length) v.endpointAlias = o.aliases.map(aliasAddress);
  if (o.calls) {
    v.perCallInfo = o.calls.map((c) => ({
      callReferenceValue: c.callReference,
      conferenceID: c.conferenceId,
      originator: c.originator,
      h245: c.h245 ? { sendAddress: h225Address(c.h245) } : {},
      callSignalling: { recvAddress: h225Address(o.callSignalAddress) },
      callType: choice('pointToPoint', null),
      bandWidth: c.bandwidth,
      callModel: choice('direct', null),
      callIdentifier: { guid: c.callId },
      substituteConfIDs: [],
    }));
  }
  return choice('infoRequestResponse', v);
}

// ---- accessors for the gatekeeper's answers -------------------------------------------------

export interface RasAnswer {
  type: RasMessageType;
  seq: number;
  /** Reject reason alternative (…Reject messages). */
  rejectReason?: string;
  gatekeeperId?: string;
  endpointId?: string;
  rasAddress?: IpPort;
  callSignalAddresses?: IpPort[];
  destCallSignalAddress?: IpPort;
  aliases?: Alias[];
  timeToLiveS?: number;
  bandwidth?: number;
  callModel?: string;
  irrFrequencyS?: number;
}

/** Flattens the fields the gateway acts on from any RAS message. */
export function readRasAnswer(msg: RasMessage): RasAnswer {
  const v = msg.value;
  const out: RasAnswer = { type: msg.type, seq: v.requestSeqNum as number };
  const reason = v.rejectReason as Choice | undefined;
  if (reason) out.rejectReason = reason.type;
  if (typeof v.gatekeeperIdentifier === 'string') out.gatekeeperId = v.gatekeeperIdentifier;
  if (typeof v.endpointIdentifier === 'string') out.endpointId = v.endpointIdentifier;
  const ras = readH225Address(v.rasAddress);
  if (ras) out.rasAddress = ras;
  if (Array.isArray(v.callSignalAddress)) {
    out.callSignalAddresses = v.callSignalAddress.map(readH225Address).filter((a): a is IpPort => a !== undefined);
  }
  const dest = readH225Address(v.destCallSignalAddress);
  if (dest) out.destCallSignalAddress = dest;
  const aliases = (v.terminalAlias ?? v.destinationInfo) as unknown[] | undefined;
  if (aliases) out.aliases = aliases.map(readAlias).filter((a): a is Alias => a !== undefined);
  if (typeof v.timeToLive === 'number') out.timeToLiveS = v.timeToLive;
  if (typeof v.bandWidth === 'number') out.bandwidth = v.bandWidth;
  if (v.callModel) out.callModel = (v.callModel as Choice).type;
  if (typeof v.irrFrequency === 'number') out.irrFrequencyS = v.irrFrequency;
  return out;
}

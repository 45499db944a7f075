// H.225.0 call signalling: the H323-UserInformation carried in the user-user IE of Q.931
// messages (H.225.0 7.2.2/clause 8). Builders set h245Tunnelling, fastStart, h245Control and
// h245Address where the message carries them.
import { h323Codec } from '../h323-schema.ts';
import {
  H225_PROTOCOL_ID, aliasAddress, choice, endpointType, h225Address, readH225Address,
  type Alias, type Choice, type Fields, type IpPort,
} from './common.ts';

export type UuieType =
  | 'setup' | 'callProceeding' | 'connect' | 'alerting' | 'information' | 'releaseComplete'
  | 'facility' | 'progress' | 'empty' | 'status' | 'statusInquiry' | 'setupAcknowledge' | 'notify' | (string & {});

export interface H323UserInformation {
  'h323-uu-pdu': Fields & { 'h323-message-body': Choice<UuieType, Fields | null> };
  'user-data'?: Fields;
}

export function encodeUserInformation(v: H323UserInformation): Uint8Array {
  return h323Codec().encode('H323-UserInformation', v);
}

/** Throws PerDecodeError on malformed input. */
export function decodeUserInformation(bytes: Uint8Array): H323UserInformation {
  return h323Codec().decode('H323-UserInformation', bytes) as H323UserInformation;
}

/** What travels next to any UUIE in H323-UU-PDU. */
export interface PduOptions {
  /** H.245 tunnelled in the call signalling channel (H.225.0 7.4 / H.323 8.2.1). */
  h245Tunnelling?: boolean;
  /** Tunnelled H.245 PDUs (each an encoded MultimediaSystemControlMessage). */
  h245Control?: Uint8Array[];
}

function pdu(body: Choice<UuieType, Fields | null>, o: PduOptions): H323UserInformation {
  const uu: H323UserInformation['h323-uu-pdu'] = { 'h323-message-body': body, h245Tunnelling: o.h245Tunnelling ?? false };
  if (o.h245Control?.length) uu.h245Control = o.h245Control;
  return { 'h323-uu-pdu': uu };
}

export interface CallOptions extends PduOptions {
  callId: Uint8Array;
  /** fastStart: encoded OpenLogicalChannel proposals (H.323 8.1.7). */
  fastStart?: Uint8Array[];
  /** Where the peer reaches our H.245 listener, when not tunnelling. */
  h245Address?: IpPort;
  /** The called side refuses every fastStart proposal (H.323 8.1.7.1). */
  fastConnectRefused?: boolean;
}

function callFields(o: CallOptions): Fields {
  const v: Fields = {};
  if (o.h245Address) v.h245Address = h225Address(o.h245Address);
  if (o.fastStart?.length) v.fastStart = o.fastStart;
  if (o.fastConnectRefused) v.fastConnectRefused = null;
  return v;
}

export function setup(o: CallOptions & {
  conferenceId: Uint8Array; source?: Alias[]; destination?: Alias[]; destCallSignalAddress?: IpPort;
  sourceCallSignalAddress?: IpPort; displayName?: string;
}): H323UserInformation {
  const v: Fields = {
    protocolIdentifier: H225_PROTOCOL_ID,
    ...(o.h245Address ? { h245Address: h225Address(o.h245Address) } : {}),
    ...(o.source?.length ? { sourceAddress: o.source.map(aliasAddress) } : {}),
    sourceInfo: endpointType({ kind: 'gateway' }),
    ...(o.destination?.length ? { destinationAddress: o.destination.map(aliasAddress) } : {}),
    ...(o.destCallSignalAddress ? { destCallSignalAddress: h225Address(o.destCallSignalAddress) } : {}),
    activeMC: false,
    conferenceID: o.conferenceId,
    conferenceGoal: choice('create', null),
    callType: choice('pointToPoint', null),
    ...(o.sourceCallSignalAddress ? { sourceCallSignalAddress: h225Address(o.sourceCallSignalAddress) } : {}),
    callIdentifier: { guid: o.callId },
    ...(o.fastStart?.length ? { fastStart: o.fastStart } : {}),
    mediaWaitForConnect: false,
    canOverlapSend: false,
    multipleCalls: false,
    maintainConnection: false,
  };
  if (o.displayName) v.displayName = [{ name: o.displayName }];
  return pdu(choice('setup', v), o);
}

function destinationReply(kind: 'callProceeding' | 'alerting', o: CallOptions): H323UserInformation {
  return pdu(choice(kind, {
    protocolIdentifier: H225_PROTOCOL_ID,
    destinationInfo: endpointType({ kind: 'gateway' }),
    ...callFields(o),
    callIdentifier: { guid: o.callId },
    multipleCalls: false,
    maintainConnection: false,
  }), o);
}

export function callProceeding(o: CallOptions): H323UserInformation {
  return destinationReply('callProceeding', o);
}

export function alerting(o: CallOptions): H323UserInformation {
  return destinationReply('alerting', o);
}

export function connect(o: CallOptions & { conferenceId: Uint8Array; displayName?: string }): H323UserInformation {
  const v: Fields = {
    protocolIdentifier: H225_PROTOCOL_ID,
    ...(o.h245Address ? { h245Address: h225Address(o.h245Address) } : {}),
    destinationInfo: endpointType({ kind: 'gateway' }),
    conferenceID: o.conferenceId,
    callIdentifier: { guid: o.callId },
    ...(o.fastStart?.length ? { fastStart: o.fastStart } : {}),
    multipleCalls: false,
    maintainConnection: false,
    ...(o.fastConnectRefused ? { fastConnectRefused: null } : {}),
  };
  if (o.displayName) v.displayName = [{ name: o.displayName }];
  return pdu(choice('connect', v), o);
}

export type ReleaseReason =
  | 'noBandwidth' | 'gatekeeperResources' | 'unreachableDestination' | 'destinationRejection' | 'invalidRevision'
  | 'noPermission' | 'unreachableGatekeeper' | 'gatewayResources' | 'badFormatAddress' | 'adaptiveBusy' | 'inConf'
  | 'undefinedReason' | 'calledPartyNotRegistered' | 'callerNotRegistered' | 'newConnectionNeeded' | 'securityDenied';

export function releaseComplete(o: PduOptions & { callId: Uint8Array; reason?: ReleaseReason }): H323UserInformation {
  const v: Fields = { protocolIdentifier: H225_PROTOCOL_ID, callIdentifier: { guid: o.callId } };
  if (o.reason) v.reason = choice(o.reason, null);
  return pdu(choice('releaseComplete', v), o);
}

export type FacilityReasonName =
  | 'routeCallToGatekeeper' | 'callForwarded' | 'routeCallToMC' | 'undefinedReason' | 'startH245' | 'noH245'
  | 'newTokens' | 'featureSetUpdate' | 'forwardedElements' | 'transportedInformation';

/** Facility, e.g. startH245 with our H.245 address, or a tunnelled H.245 carrier (transportedInformation). */
export function facility(o: CallOptions & { reason: FacilityReasonName; alternativeAddress?: IpPort; conferenceId?: Uint8Array }): H323UserInformation {
  const v: Fields = {
    protocolIdentifier: H225_PROTOCOL_ID,
    ...(o.alternativeAddress ? { alternativeAddress: h225Address(o.alternativeAddress) } : {}),
    ...(o.conferenceId ? { conferenceID: o.conferenceId } : {}),
    reason: choice(o.reason, null),
    callIdentifier: { guid: o.callId },
    ...callFields(o),
    multipleCalls: false,
    maintainConnection: false,
  };
  return pdu(choice('facility', v), o);
}

export function progress(o: CallOptions): H323UserInformation {
  return pdu(choice('progress', {
    protocolIdentifier: H225_PROTOCOL_ID,
    destinationInfo: endpointType({ kind: 'gateway' }),
    ...(o.h245Address ? { h245Address: h225Address(o.h245Address) } : {}),
    callIdentifier: { guid: o.callId },
    ...(o.fastStart?.length ? { fastStart: o.fastStart } : {}),
    multipleCalls: false,
    maintainConnection: false,
    ...(o.fastConnectRefused ? { fastConnectRefused: null } : {}),
  }), o);
}

export function information(o: CallOptions): H323UserInformation {
  return pdu(choice('information', {
    protocolIdentifier: H225_PROTOCOL_ID,
    callIdentifier: { guid: o.callId },
    ...(o.fastStart?.length ? { fastStart: o.fastStart } : {}),
  }), o);
}

export function status(o: PduOptions & { callId: Uint8Array }): H323UserInformation {
  return pdu(choice('status', { protocolIdentifier: H225_PROTOCOL_ID, callIdentifier: { guid: o.callId } }), o);
}

/** An "empty" body: a Facility-less carrier of tunnelled H.245 (H.323 8.2.1). */
export function tunnelOnly(o: PduOptions): H323UserInformation {
  return pdu(choice('empty', null), { h245Tunnelling: true, ...o });
}

// ---- accessors --------------------------------------------------------------------------------

export interface CallSignallingView {
  type: UuieType;
  callId?: Uint8Array;
  conferenceId?: Uint8Array;
  h245Address?: IpPort;
  h245Tunnelling: boolean;
  h245Control: Uint8Array[];
  fastStart: Uint8Array[];
  /** The body carries fastConnectRefused (H.323 8.1.7.1). */
  fastConnectRefused: boolean;
  releaseReason?: string;
  facilityReason?: string;
}

export function readCallSignalling(v: H323UserInformation): CallSignallingView {
  const uu = v['h323-uu-pdu'];
  const body = uu['h323-message-body'];
  const b = (body.value ?? {}) as Fields;
  const out: CallSignallingView = {
    type: body.type,
    h245Tunnelling: uu.h245Tunnelling === true,
    h245Control: (uu.h245Control as Uint8Array[] | undefined) ?? [],
    fastStart: (b.fastStart as Uint8Array[] | undefined) ?? [],
    fastConnectRefused: 'fastConnectRefused' in b,
  };
  const callId = (b.callIdentifier as { guid?: Uint8Array } | undefined)?.guid;
  if (callId) out.callId = callId;
  if (b.conferenceID instanceof Uint8Array) out.conferenceId = b.conferenceID;
  const h245 = readH225Address(b.h245Address);
  if (h245) out.h245Address = h245;
  if (body.type === 'releaseComplete' && b.reason) out.releaseReason = (b.reason as Choice).type;
  if (body.type === 'facility' && b.reason) out.facilityReason = (b.reason as Choice).type;
  return out;
}

/** StatusInquiry-UUIE, carried by the Q.931 StatusEnquiry message (H.225.0 7.4.2). */
export function statusInquiry(o: PduOptions & { callId: Uint8Array }): H323UserInformation {
  return pdu(choice('statusInquiry', { protocolIdentifier: H225_PROTOCOL_ID, callIdentifier: { guid: o.callId } }), o);
}

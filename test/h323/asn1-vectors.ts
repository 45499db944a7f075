// Cross-check vectors: every message type the gateway sends (built with the project's builders)
// plus the gatekeeper answers it decodes. Each names the top-level type it is encoded as.
import {
  admissionRequest, alerting, bandwidthRequest, callProceeding, choice, closeLogicalChannel, closeLogicalChannelAck,
  connect, disengageRequest, emptyTerminalCapabilitySet, encodeH245, endSessionCommand, facility, flowControlCommand,
  gatekeeperRequest, h225Address, information, infoRequestResponse, keepAliveRegistrationRequest,
  masterSlaveDetermination, masterSlaveDeterminationAck, masterSlaveDeterminationReject, masterSlaveDeterminationRelease,
  openLogicalChannel, openLogicalChannelAck, openLogicalChannelReject, progress, registrationRequest, releaseComplete,
  requestChannelClose, roundTripDelayRequest, roundTripDelayResponse, setup, status, terminalCapabilitySet,
  terminalCapabilitySetAck, terminalCapabilitySetReject, tunnelOnly, unregistrationConfirm, unregistrationReject,
  unregistrationRequest, userInputAlphanumeric, userInputSignal, videoFastUpdatePicture, H225_PROTOCOL_ID,
  type MediaCapability,
} from '../../h323/asn1/index.ts';

export interface Vector {
  name: string;
  type: 'RasMessage' | 'H323-UserInformation' | 'MultimediaSystemControlMessage';
  value: unknown;
}

const gw = { ip: '10.0.0.5', port: 1720 };
const ras = { ip: '10.0.0.5', port: 1719 };
const gk = { ip: '10.0.0.1', port: 1719 };
const callId = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const conferenceId = Uint8Array.from({ length: 16 }, (_, i) => 0x10 * (i % 16) + i);
const call = { endpointId: 'EP-1234', conferenceId, callId, callReference: 42 };
const pcmu: MediaCapability = { codec: 'g711Ulaw64k', framesPerPacket: 20 };
const pcma: MediaCapability = { codec: 'g711Alaw64k', framesPerPacket: 20 };
const g722: MediaCapability = { codec: 'g722-64k', framesPerPacket: 20 };
const h264: MediaCapability = { codec: 'h264', maxBitRate: 19200, profile: 64, level: 71 };
const h263: MediaCapability = { codec: 'h263', qcifMPI: 1, cifMPI: 1, maxBitRate: 3840 };
const media = { ip: '10.0.0.5', port: 40000 };
const rtcp = { ip: '10.0.0.5', port: 40001 };

const olcAudio = openLogicalChannel({ channel: 1, media: pcmu, sessionId: 1, mediaControlChannel: rtcp });
const olcVideo = openLogicalChannel({ channel: 2, media: h264, sessionId: 2, mediaControlChannel: { ip: '10.0.0.5', port: 40003 }, dynamicPayloadType: 97 });

export function rasVectors(): Vector[] {
  const r = (name: string, value: unknown): Vector => ({ name, type: 'RasMessage', value });
  const reg = { seq: 3, callSignalAddress: gw, rasAddress: ras };
  return [
    r('GRQ gateway', gatekeeperRequest({ seq: 1, rasAddress: ras })),
    r('GRQ with aliases and gatekeeper id', gatekeeperRequest({ seq: 2, rasAddress: ras, gatekeeperId: 'GK-Zone', aliases: [{ h323Id: 'roomgate' }] })),
    r('GRQ terminal', gatekeeperRequest({ seq: 65535, rasAddress: ras, kind: 'terminal' })),
    r('RRQ full with terminalAlias', registrationRequest({ ...reg, aliases: [{ h323Id: 'roomgate' }, { dialledDigits: '8000' }] })),
    r('RRQ with prefixes', registrationRequest({ ...reg, aliases: [{ h323Id: 'roomgate' }], prefixes: ['99', '8#'], gatekeeperId: 'GK', timeToLiveS: 300 })),
    r('RRQ terminal, url/email aliases', registrationRequest({ ...reg, kind: 'terminal', aliases: [{ url: 'h323:room@example.org' }, { email: 'room@example.org' }] })),
    r('RRQ non-ASCII h323-ID', registrationRequest({ ...reg, aliases: [{ h323Id: 'Salle Réunion 会议室' }] })),
    r('RRQ lightweight keepAlive', keepAliveRegistrationRequest({ ...reg, seq: 4, endpointId: 'EP-1234', gatekeeperId: 'GK', timeToLiveS: 300 })),
    r('URQ', unregistrationRequest({ seq: 5, callSignalAddress: gw })),
    r('URQ with aliases, endpoint id and reason', unregistrationRequest({ seq: 6, callSignalAddress: gw, aliases: [{ h323Id: 'roomgate' }], endpointId: 'EP-1234', gatekeeperId: 'GK', reason: 'maintenance' })),
    r('UCF (answer to the gatekeeper URQ)', unregistrationConfirm(77)),
    r('URJ (answer to the gatekeeper URQ)', unregistrationReject(78, 'callInProgress')),
    r('ARQ originating', admissionRequest({ ...call, seq: 7, answerCall: false, bandwidth: 7680, source: [{ h323Id: 'alice' }], destination: [{ dialledDigits: '1234' }] })),
    r('ARQ answering', admissionRequest({ ...call, seq: 8, answerCall: true, bandwidth: 7680, source: [{ dialledDigits: '5551' }], destination: [{ h323Id: 'demo' }], srcCallSignalAddress: { ip: '192.168.1.20', port: 1720 } })),
    r('ARQ with destCallSignalAddress and gatekeeper id', admissionRequest({ ...call, seq: 9, answerCall: false, bandwidth: 1280, source: [{ h323Id: 'gw' }], destCallSignalAddress: { ip: '192.168.1.30', port: 1720 }, gatekeeperId: 'GK' })),
    r('BRQ', bandwidthRequest({ ...call, seq: 10, bandwidth: 15360, answeredCall: true })),
    r('DRQ normal', disengageRequest({ ...call, seq: 11, answeredCall: false })),
    r('DRQ forced', disengageRequest({ ...call, seq: 12, answeredCall: true, reason: 'forcedDrop' })),
    r('IRR endpoint only', infoRequestResponse({ seq: 13, endpointId: 'EP-1234', rasAddress: ras, callSignalAddress: gw })),
    r('IRR with calls', infoRequestResponse({ seq: 14, endpointId: 'EP-1234', rasAddress: ras, callSignalAddress: gw, aliases: [{ h323Id: 'roomgate' }], calls: [{ ...call, originator: true, bandwidth: 7680, h245: { ip: '10.0.0.5', port: 30000 } }, { ...call, callReference: 43, originator: false, bandwidth: 1280 }] })),
    r('IRR unsolicited', infoRequestResponse({ seq: 15, endpointId: 'EP-1234', rasAddress: ras, callSignalAddress: gw, unsolicited: true })),
    // Gatekeeper answers the gateway decodes.
    r('GCF', choice('gatekeeperConfirm', { requestSeqNum: 1, protocolIdentifier: H225_PROTOCOL_ID, gatekeeperIdentifier: 'GK-Zone', rasAddress: h225Address(gk) })),
    r('GRJ', choice('gatekeeperReject', { requestSeqNum: 1, protocolIdentifier: H225_PROTOCOL_ID, rejectReason: choice('terminalExcluded', null) })),
    r('RCF', choice('registrationConfirm', { requestSeqNum: 3, protocolIdentifier: H225_PROTOCOL_ID, callSignalAddress: [h225Address(gw)], terminalAlias: [choice('h323-ID', 'roomgate')], gatekeeperIdentifier: 'GK', endpointIdentifier: 'EP-1234', timeToLive: 300, willRespondToIRR: false, maintainConnection: false, supportedPrefixes: [{ prefix: choice('dialledDigits', '99') }] })),
    r('RRJ', choice('registrationReject', { requestSeqNum: 3, protocolIdentifier: H225_PROTOCOL_ID, rejectReason: choice('duplicateAlias', [choice('h323-ID', 'roomgate')]) })),
    r('ACF', choice('admissionConfirm', { requestSeqNum: 7, bandWidth: 7680, callModel: choice('direct', null), destCallSignalAddress: h225Address({ ip: '192.168.1.30', port: 1720 }), irrFrequency: 120, willRespondToIRR: false, uuiesRequested: { setup: false, callProceeding: false, connect: false, alerting: false, information: false, releaseComplete: false, facility: false, progress: false, empty: false, status: false, statusInquiry: false, setupAcknowledge: false, notify: false } })),
    r('ARJ', choice('admissionReject', { requestSeqNum: 7, rejectReason: choice('calledPartyNotRegistered', null) })),
    r('BCF', choice('bandwidthConfirm', { requestSeqNum: 10, bandWidth: 15360 })),
    r('DCF', choice('disengageConfirm', { requestSeqNum: 11 })),
    r('UCF from the gatekeeper', choice('unregistrationConfirm', { requestSeqNum: 5 })),
  ];
}

export function callSignallingVectors(): Vector[] {
  const c = (name: string, value: unknown): Vector => ({ name, type: 'H323-UserInformation', value });
  const fastStart = [encodeH245(olcAudio).slice(), encodeH245(olcVideo).slice()];
  const tunnelled = [encodeH245(terminalCapabilitySet({ sequenceNumber: 1, capabilities: [pcmu, pcma] }))];
  return [
    c('Setup', setup({ callId, conferenceId, source: [{ h323Id: 'roomgate' }], destination: [{ dialledDigits: '1234' }] })),
    c('Setup with fastStart', setup({ callId, conferenceId, source: [{ h323Id: 'roomgate' }], destination: [{ h323Id: 'room-a' }], fastStart })),
    c('Setup with h245Tunnelling and h245Control', setup({ callId, conferenceId, h245Tunnelling: true, h245Control: tunnelled, destination: [{ h323Id: 'room-a' }] })),
    c('Setup with addresses and displayName', setup({ callId, conferenceId, h245Address: { ip: '10.0.0.5', port: 30000 }, destCallSignalAddress: { ip: '192.168.1.30', port: 1720 }, sourceCallSignalAddress: gw, displayName: 'Meeting demo' })),
    c('CallProceeding', callProceeding({ callId })),
    c('CallProceeding with h245Address', callProceeding({ callId, h245Address: { ip: '10.0.0.5', port: 30001 } })),
    c('Alerting', alerting({ callId })),
    c('Alerting with fastStart', alerting({ callId, fastStart, h245Tunnelling: true })),
    c('Connect', connect({ callId, conferenceId })),
    c('Connect with h245Address', connect({ callId, conferenceId, h245Address: { ip: '10.0.0.5', port: 30002 }, displayName: 'roomgate' })),
    c('Connect with fastStart and tunnelling', connect({ callId, conferenceId, fastStart, h245Tunnelling: true, h245Control: tunnelled })),
    c('ReleaseComplete', releaseComplete({ callId })),
    c('ReleaseComplete destinationRejection', releaseComplete({ callId, reason: 'destinationRejection' })),
    c('ReleaseComplete unreachableDestination', releaseComplete({ callId, reason: 'unreachableDestination' })),
    c('ReleaseComplete newConnectionNeeded (extension alternative)', releaseComplete({ callId, reason: 'newConnectionNeeded' })),
    c('Facility startH245', facility({ callId, reason: 'startH245', h245Address: { ip: '10.0.0.5', port: 30003 } })),
    c('Facility callForwarded', facility({ callId, reason: 'callForwarded', alternativeAddress: { ip: '192.168.1.40', port: 1720 }, conferenceId })),
    c('Facility transportedInformation with tunnelled H.245', facility({ callId, reason: 'transportedInformation', h245Tunnelling: true, h245Control: tunnelled })),
    c('Progress', progress({ callId })),
    c('Progress with fastStart', progress({ callId, fastStart })),
    c('Information', information({ callId })),
    c('Status', status({ callId })),
    c('empty body carrying tunnelled H.245', tunnelOnly({ h245Control: tunnelled })),
    // X.691 10.9.3.8: a 40,000-octet tunnelled PDU needs length fragments (2 × 16K + 7232).
    c('tunnelled H.245 of 40000 octets (fragmented length)', tunnelOnly({ h245Control: [Uint8Array.from({ length: 40000 }, (_, i) => (i * 7) & 0xff)] })),
  ];
}

export function h245Vectors(): Vector[] {
  const h = (name: string, value: unknown): Vector => ({ name, type: 'MultimediaSystemControlMessage', value });
  return [
    h('MasterSlaveDetermination', masterSlaveDetermination(60, 0x123456)),
    h('MasterSlaveDeterminationAck master', masterSlaveDeterminationAck('master')),
    h('MasterSlaveDeterminationAck slave', masterSlaveDeterminationAck('slave')),
    h('MasterSlaveDeterminationReject', masterSlaveDeterminationReject()),
    h('MasterSlaveDeterminationRelease', masterSlaveDeterminationRelease()),
    h('TerminalCapabilitySet audio+video+UII', terminalCapabilitySet({ sequenceNumber: 1, capabilities: [pcmu, pcma, g722, h264, h263, 'userInput'] })),
    h('TerminalCapabilitySet audio only', terminalCapabilitySet({ sequenceNumber: 2, capabilities: [g722, pcmu, pcma] })),
    h('TerminalCapabilitySet H.264 only', terminalCapabilitySet({ sequenceNumber: 3, capabilities: [h264] })),
    h('TerminalCapabilitySet empty (hold)', emptyTerminalCapabilitySet(4)),
    h('TerminalCapabilitySetAck', terminalCapabilitySetAck(1)),
    h('TerminalCapabilitySetReject', terminalCapabilitySetReject(1)),
    h('OpenLogicalChannel G.711 µ-law', olcAudio),
    h('OpenLogicalChannel G.711 A-law with media channel', openLogicalChannel({ channel: 3, media: pcma, sessionId: 1, mediaChannel: media, mediaControlChannel: rtcp, silenceSuppression: false })),
    h('OpenLogicalChannel G.722', openLogicalChannel({ channel: 4, media: g722, sessionId: 1, mediaControlChannel: rtcp })),
    h('OpenLogicalChannel H.264', olcVideo),
    h('OpenLogicalChannel H.263', openLogicalChannel({ channel: 5, media: h263, sessionId: 2, mediaControlChannel: { ip: '10.0.0.5', port: 40003 } })),
    h('OpenLogicalChannelAck', openLogicalChannelAck({ channel: 1, sessionId: 1, mediaChannel: media, mediaControlChannel: rtcp })),
    h('OpenLogicalChannelAck without session id', openLogicalChannelAck({ channel: 2, mediaChannel: { ip: '10.0.0.5', port: 40002 }, mediaControlChannel: { ip: '10.0.0.5', port: 40003 } })),
    h('OpenLogicalChannelReject', openLogicalChannelReject(2, 'dataTypeNotSupported')),
    h('CloseLogicalChannel', closeLogicalChannel(1)),
    h('CloseLogicalChannelAck', closeLogicalChannelAck(1)),
    h('RequestChannelClose', requestChannelClose(2)),
    h('RoundTripDelayRequest', roundTripDelayRequest(9)),
    h('RoundTripDelayResponse', roundTripDelayResponse(9)),
    h('EndSessionCommand', endSessionCommand()),
    h('MiscellaneousCommand videoFastUpdatePicture', videoFastUpdatePicture(2)),
    h('FlowControlCommand', flowControlCommand(2, 5120)),
    h('UserInputIndication alphanumeric', userInputAlphanumeric('123#')),
    h('UserInputIndication signal with duration', userInputSignal('5', 160)),
    h('UserInputIndication signal', userInputSignal('#')),
  ];
}

export function allVectors(): Vector[] {
  return [...rasVectors(), ...callSignallingVectors(), ...h245Vectors()];
}

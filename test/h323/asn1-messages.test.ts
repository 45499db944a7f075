// Builders and accessors: what the gateway writes comes back through the decoder as the
// fields it meant, and the accessors read the answers it acts on.
import { describe, expect, it } from 'vitest';
import {
  PerEncodeError, decodeH245, decodeRas, decodeUserInformation, encodeH245, encodeRas, encodeUserInformation,
  h245Kind, ipv4, masterSlaveDetermination, readCallSignalling, readOpenLogicalChannel, readOpenLogicalChannelAck,
  readRasAnswer, registrationRequest, type H245Message, type H323UserInformation, type RasMessage,
} from '../../h323/asn1/index.ts';
import { callSignallingVectors, h245Vectors, rasVectors } from './asn1-vectors.ts';

const ras = (name: string) => decodeRas(encodeRas(rasVectors().find((v) => v.name === name)!.value as RasMessage));
const cs = (name: string) => decodeUserInformation(encodeUserInformation(callSignallingVectors().find((v) => v.name === name)!.value as H323UserInformation));
const h245 = (name: string) => decodeH245(encodeH245(h245Vectors().find((v) => v.name === name)!.value as H245Message));

describe('RAS builders and accessors', () => {
  it('RRQ announces aliases as terminalAlias and prefixes as the gateway\'s supportedPrefixes', () => {
    const rrq = decodeRas(encodeRas(registrationRequest({
      seq: 9, callSignalAddress: { ip: '10.1.2.3', port: 1720 }, rasAddress: { ip: '10.1.2.3', port: 1719 },
      aliases: [{ h323Id: 'gw' }], prefixes: ['77'],
    })));
    expect(rrq.type).toBe('registrationRequest');
    expect(rrq.value.terminalAlias).toEqual([{ type: 'h323-ID', value: 'gw' }]);
    const gateway = (rrq.value.terminalType as { gateway: { protocol: { type: string; value: { supportedPrefixes: unknown[] } }[] } }).gateway;
    expect(gateway.protocol[0]!.type).toBe('h323');
    expect(gateway.protocol[0]!.value.supportedPrefixes).toEqual([{ prefix: { type: 'dialledDigits', value: '77' } }]);
    expect(readRasAnswer(rrq).callSignalAddresses).toEqual([{ ip: '10.1.2.3', port: 1720 }]);
  });
  it('lightweight RRQ sets keepAlive and the endpoint identifier without aliases', () => {
    const v = ras('RRQ lightweight keepAlive').value;
    expect(v.keepAlive).toBe(true);
    expect(v.endpointIdentifier).toBe('EP-1234');
    expect(v.terminalAlias).toBeUndefined();
  });
  it('reads RCF, RRJ, ACF and ARJ', () => {
    expect(readRasAnswer(ras('RCF'))).toMatchObject({ type: 'registrationConfirm', seq: 3, endpointId: 'EP-1234', gatekeeperId: 'GK', timeToLiveS: 300, aliases: [{ h323Id: 'roomgate' }] });
    expect(readRasAnswer(ras('RRJ'))).toMatchObject({ type: 'registrationReject', rejectReason: 'duplicateAlias' });
    expect(readRasAnswer(ras('ACF'))).toMatchObject({ type: 'admissionConfirm', bandwidth: 7680, callModel: 'direct', destCallSignalAddress: { ip: '192.168.1.30', port: 1720 }, irrFrequencyS: 120 });
    expect(readRasAnswer(ras('ARJ'))).toMatchObject({ type: 'admissionReject', seq: 7, rejectReason: 'calledPartyNotRegistered' });
    expect(readRasAnswer(ras('GCF'))).toMatchObject({ gatekeeperId: 'GK-Zone', rasAddress: { ip: '10.0.0.1', port: 1719 } });
  });
});

describe('call signalling builders and accessors', () => {
  it('Setup carries fastStart proposals that decode as OpenLogicalChannel', () => {
    const view = readCallSignalling(cs('Setup with fastStart'));
    expect(view.type).toBe('setup');
    expect(view.fastStart).toHaveLength(2);
    expect(readOpenLogicalChannel(decodeH245(view.fastStart[0]!))).toEqual({
      channel: 1, dataType: 'audioData', codec: 'g711Ulaw64k', sessionId: 1, mediaControlChannel: { ip: '10.0.0.5', port: 40001 },
    });
    expect(readOpenLogicalChannel(decodeH245(view.fastStart[1]!))?.codec).toBe('genericVideoCapability');
  });
  it('tunnelled H.245 and h245Address are read back', () => {
    const tunnelled = readCallSignalling(cs('Facility transportedInformation with tunnelled H.245'));
    expect(tunnelled.h245Tunnelling).toBe(true);
    expect(h245Kind(decodeH245(tunnelled.h245Control[0]!))).toBe('request.terminalCapabilitySet');
    expect(readCallSignalling(cs('Connect with h245Address')).h245Address).toEqual({ ip: '10.0.0.5', port: 30002 });
    expect(readCallSignalling(cs('ReleaseComplete destinationRejection')).releaseReason).toBe('destinationRejection');
    expect(readCallSignalling(cs('Status')).callId).toHaveLength(16);
  });
});

describe('H.245 builders and accessors', () => {
  it('OpenLogicalChannelAck gives the peer\'s RTP and RTCP addresses', () => {
    expect(readOpenLogicalChannelAck(h245('OpenLogicalChannelAck'))).toEqual({
      channel: 1, mediaChannel: { ip: '10.0.0.5', port: 40000 }, mediaControlChannel: { ip: '10.0.0.5', port: 40001 },
    });
  });
  it('H.264 is a generic capability with the H.241 OID, profile and level', () => {
    const tcs = h245('TerminalCapabilitySet H.264 only').value.value as { capabilityTable: { capability: { value: { value: unknown } } }[] };
    expect(tcs.capabilityTable[0]!.capability.value.value).toEqual({
      capabilityIdentifier: { type: 'standard', value: [0, 0, 8, 241, 0, 0, 1] },
      maxBitRate: 19200,
      collapsing: [
        { parameterIdentifier: { type: 'standard', value: 41 }, parameterValue: { type: 'booleanArray', value: 64 } },
        { parameterIdentifier: { type: 'standard', value: 42 }, parameterValue: { type: 'unsignedMin', value: 71 } },
      ],
    });
  });
  it('refuses values outside the schema and malformed addresses', () => {
    expect(() => encodeH245(masterSlaveDetermination(256, 1))).toThrow(PerEncodeError);
    expect(() => ipv4('10.0.0.256')).toThrow(RangeError);
  });
});

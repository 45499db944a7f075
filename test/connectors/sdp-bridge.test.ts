import dgram from 'node:dgram';
import { once } from 'node:events';
import * as sdpTransform from 'sdp-transform';
import { afterEach, describe, expect, it } from 'vitest';
import { planMedia } from '../../gateway/connectors/mediasoup-meeting/media-plan.ts';
import { createLegPeerConnection, LOOPBACK_ICE } from '../../gateway/connectors/mediasoup-meeting/peer-connection.ts';
import { producerRtpParameters } from '../../gateway/connectors/mediasoup-meeting/producer-parameters.ts';
import { buildRemoteAnswer, localFingerprints } from '../../gateway/connectors/mediasoup-meeting/remote-sdp.ts';
import type { TransportResponse } from '../../gateway/connectors/mediasoup-meeting/wire-types.ts';
import { routerCaps } from './router-caps.fixture.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('planMedia: werift configured from the router capabilities', () => {
  it('takes Opus and H.264 packetization-mode 1 with the router payload types and extension ids', () => {
    const plan = planMedia(routerCaps, true);
    expect(plan.audio.payloadType).toBe(100);
    expect(plan.video?.payloadType).toBe(101);
    expect(plan.video?.parameters).toContain('packetization-mode=1');
    expect(plan.headerExtensions.video.map((e) => [e.uri.split(/[:/]/).pop(), e.id])).toEqual([['mid', 1], ['abs-send-time', 4]]);
    const recvVideo = plan.recvCapabilities.codecs.find((c) => c.kind === 'video');
    expect(recvVideo?.rtcpFeedback).toEqual([{ type: 'nack', parameter: '' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }]);
  });

  it('plans audio only when video is not wanted, and refuses a router without Opus', () => {
    expect(planMedia(routerCaps, false).video).toBeUndefined();
    expect(() => planMedia({ codecs: routerCaps.codecs.filter((c) => c.kind === 'video'), headerExtensions: [] }, true)).toThrow(/no Opus/);
  });
});

describe('buildRemoteAnswer: a mediasoup transport as an SDP answer werift accepts', () => {
  it('makes werift the DTLS client and ICE controller, negotiates the send codecs and registers the consumer SSRC', async () => {
    // The fake transport's candidate is a loopback socket this test owns: ICE checks stay local.
    const sink = dgram.createSocket('udp4');
    sink.bind(0, '127.0.0.1');
    await once(sink, 'listening');
    cleanups.push(() => new Promise<void>((r) => sink.close(() => r())));

    const plan = planMedia(routerCaps, true);
    const pc = createLegPeerConnection(plan, LOOPBACK_ICE);
    cleanups.push(() => pc.close());
    const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
    const video = pc.addTransceiver('video', { direction: 'sendonly' });
    const slot = pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    expect(localFingerprints(pc.localDescription!.sdp)[0]!.algorithm).toBe('sha-256');

    const transport: TransportResponse = {
      transportId: 't1',
      iceParameters: { usernameFragment: 'ufragufrag', password: 'passwordpasswordpassword', iceLite: true },
      iceCandidates: [
        { foundation: 'udpcandidate', priority: 1076302079, address: '127.0.0.1', protocol: 'udp', port: sink.address().port, type: 'host' },
        { foundation: 'tcpcandidate', priority: 1076276479, address: '127.0.0.1', protocol: 'tcp', port: 1, type: 'host', tcpType: 'passive' },
      ],
      dtlsParameters: { role: 'auto', fingerprints: [{ algorithm: 'sha-256', value: 'AB:'.repeat(31) + 'AB' }] },
    };
    const consumer = {
      consumerId: 'c1',
      peerId: 'p1',
      rtpParameters: {
        mid: '0', // mediasoup's own consumer MID: may clash with ours, werift routes by SSRC
        codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] }],
        headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 1 }],
        encodings: [{ ssrc: 11111111 }],
        rtcp: { cname: 'remote-cname' },
      },
    };
    const sdp = buildRemoteAnswer({
      offerSdp: pc.localDescription!.sdp,
      transport,
      planFor: (mid) => (mid === slot.mid ? { role: 'recv', consumer } : { role: 'send' }),
      sessionVersion: 1,
    });
    const parsed = sdpTransform.parse(sdp);
    expect(parsed.icelite).toBe('ice-lite');
    expect(parsed.media.map((m) => m.direction)).toEqual(['recvonly', 'recvonly', 'sendonly']);
    expect(parsed.media.every((m) => m.setup === 'passive' && m.candidates?.length === 1)).toBe(true);

    await pc.setRemoteDescription({ type: 'answer', sdp });
    expect(pc.signalingState).toBe('stable');
    expect(pc.dtlsTransports).toHaveLength(1);
    expect(pc.dtlsTransports[0]!.role).toBe('client'); // RFC 5763 5: answerer passive => offerer active
    expect(pc.iceTransports[0]!.connection.iceControlling).toBe(true); // RFC 8445 6.1.1: full agent controls a lite one
    expect(audio.sender.codec?.payloadType).toBe(100);
    expect(video.sender.codec?.payloadType).toBe(101);
    expect(slot.receiver.trackBySSRC[11111111]).toBeDefined();

    const params = producerRtpParameters(video, pc.cname);
    expect(params.mid).toBe(video.mid!);
    expect(params.encodings).toEqual([{ ssrc: video.sender.ssrc }]);
    expect(params.codecs[0]).toMatchObject({ mimeType: 'video/H264', payloadType: 101, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } });
    expect(params.codecs[0]!.rtcpFeedback).toContainEqual({ type: 'ccm', parameter: 'fir' });
    expect(params.headerExtensions.map((e) => e.id)).toEqual([1, 4]);
    expect(params.rtcp?.cname).toBe(pc.cname);
  });
});

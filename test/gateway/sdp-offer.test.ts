import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { AnswerRejected, buildOffer, parseAnswer } from '../../gateway/sdp/offer.ts';

const LOCAL = { address: '192.0.2.1', audioPort: 20000, videoPort: 20002, sessionId: '42', sessionVersion: 1 };

describe('SDP offer toward a trunk', () => {
  it('offers the trunk codecs in order with telephone-event and CN, then H.264 modes 1 and 0 (RFC 6184 8.1)', () => {
    const offer = sdpTransform.parse(buildOffer({ audio: ['PCMA', 'opus'], video: ['H264'] }, LOCAL));
    expect(offer.connection?.ip).toBe('192.0.2.1');
    const [audio, video] = offer.media;
    expect(audio).toMatchObject({ type: 'audio', port: 20000, protocol: 'RTP/AVP', payloads: '8 111 101 13' });
    expect(audio!.rtp.map((r) => `${r.codec}/${r.rate}`)).toEqual(['PCMA/8000', 'opus/48000', 'telephone-event/8000', 'CN/8000']);
    expect(video).toMatchObject({ type: 'video', port: 20002, payloads: '96 97' });
    expect(video!.fmtp.map((f) => f.config)).toEqual([
      'profile-level-id=42e01f;packetization-mode=1',
      'profile-level-id=42e01f;packetization-mode=0',
    ]);
  });

  it('offers G.722 as static PT 9 with RTP clock rate 8000 (RFC 3551 4.5.2)', () => {
    const offer = sdpTransform.parse(buildOffer({ audio: ['G722', 'PCMU'], video: [] }, LOCAL));
    expect(offer.media[0]).toMatchObject({ payloads: '9 0 101 13' });
    expect(offer.media[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual(['9 G722/8000', '0 PCMU/8000', '101 telephone-event/8000', '13 CN/8000']);
  });

  it('leaves video out when the trunk has no video codec', () => {
    const offer = sdpTransform.parse(buildOffer({ audio: ['PCMU'], video: [] }, LOCAL));
    expect(offer.media.map((m) => m.type)).toEqual(['audio']);
  });
});

describe('SDP answer from a trunk', () => {
  const policy = { audio: ['PCMU', 'PCMA'] as const, video: ['H264'] as const };
  const answer = (media: string) => ['v=0', 'o=- 1 1 IN IP4 198.51.100.9', 's=-', 'c=IN IP4 198.51.100.9', 't=0 0', media, ''].join('\r\n');

  it('takes the first answered codec we offered, telephone-event and the H.264 mode chosen', () => {
    const negotiated = parseAnswer(
      answer(
        [
          'm=audio 30000 RTP/AVP 8 101',
          'a=rtpmap:101 telephone-event/8000',
          'a=ptime:30',
          'm=video 30002 RTP/AVP 97',
          'a=rtpmap:97 H264/90000',
          'a=fmtp:97 packetization-mode=0',
        ].join('\r\n'),
      ),
      policy,
    );
    expect(negotiated).toEqual({
      address: '198.51.100.9',
      audio: { port: 30000, payloadType: 8, codec: 'PCMA', clockRate: 8000, channels: 1, ptimeMs: 30, telephoneEventPt: 101 },
      video: { port: 30002, payloadType: 97, codec: 'H264', fmtp: 'packetization-mode=0' },
    });
  });

  it('ignores a rejected video stream (port 0, RFC 3264 6)', () => {
    const negotiated = parseAnswer(answer('m=audio 30000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96'), policy);
    expect(negotiated.video).toBeUndefined();
    expect(negotiated.audio?.codec).toBe('PCMU');
  });

  it('reads a G.722 answer (static PT 9, no rtpmap) as G722 at RTP clock rate 8000', () => {
    const negotiated = parseAnswer(answer('m=audio 30000 RTP/AVP 9'), { audio: ['G722', 'PCMU'], video: [] });
    expect(negotiated.audio).toMatchObject({ codec: 'G722', payloadType: 9, clockRate: 8000 });
  });

  it('rejects answers with no offered audio codec or no address', () => {
    expect(() => parseAnswer(answer('m=audio 30000 RTP/AVP 18'), policy)).toThrow(AnswerRejected);
    expect(() => parseAnswer(answer('m=audio 30000 RTP/AVP 0').replace('c=IN IP4 198.51.100.9', 'c=IN IP4 0.0.0.0'), policy)).toThrow(
      /no usable connection address/,
    );
  });
});

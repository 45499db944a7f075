import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { negotiateOffer, OfferRejected } from '../../gateway/sdp/negotiate.ts';

const policy = { audio: ['opus', 'PCMU', 'PCMA'] as const, video: ['H264'] as const };
const local = { address: '127.0.0.1', audioPort: 20000, videoPort: 20002, sessionId: '42', sessionVersion: 1 };

function offer(media: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', media].join('\r\n') + '\r\n';
}

describe('SDP offer/answer (RFC 3264)', () => {
  it('answers a PCMU offer with PCMU and keeps telephone-event', () => {
    const n = negotiateOffer(
      offer('m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv'),
      policy,
    );
    expect(n.negotiated).toMatchObject({ address: '10.0.0.5', audio: { port: 4000, payloadType: 0, codec: 'PCMU', clockRate: 8000, telephoneEventPt: 101 } });
    const answer = sdpTransform.parse(n.answer(local));
    expect(answer.media).toHaveLength(1);
    expect(answer.media[0]).toMatchObject({ type: 'audio', port: 20000, payloads: '0 101', direction: 'sendrecv' });
    expect(answer.connection?.ip).toBe('127.0.0.1');
  });

  it('follows the offerer\'s order: PCMA first stays PCMA', () => {
    const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 8 0'), policy);
    expect(n.negotiated.audio?.codec).toBe('PCMA');
  });

  it('accepts opus/48000/2 and H.264 packetization-mode 1 over mode 0', () => {
    const n = negotiateOffer(
      offer(
        'm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n' +
          'm=video 4002 RTP/AVP 97 98\r\na=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=0;profile-level-id=42801f\r\n' +
          'a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1;profile-level-id=42e01f\r\na=rtcp-fb:98 nack pli\r\na=rtcp-fb:* ccm fir',
      ),
      policy,
    );
    expect(n.negotiated.audio).toMatchObject({ codec: 'opus', payloadType: 96, clockRate: 48000, channels: 2 });
    expect(n.negotiated.video).toMatchObject({ payloadType: 98, fmtp: 'packetization-mode=1;profile-level-id=42e01f' });
    const answer = sdpTransform.parse(n.answer(local));
    expect(answer.media[1]).toMatchObject({ type: 'video', port: 20002 });
    expect(String(answer.media[1]!.payloads)).toBe('98');
    expect(answer.media[1]!.rtp[0]).toMatchObject({ codec: 'H264', rate: 90000 });
    expect(answer.media[1]!.rtcpFb?.map((f) => `${f.payload} ${f.type} ${f.subtype ?? ''}`.trim())).toEqual(['98 nack pli', '* ccm fir']);
  });

  it('keeps an unsupported video m-line with port 0 (RFC 3264 6)', () => {
    const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000'), policy);
    expect(n.negotiated.video).toBeUndefined();
    const answer = sdpTransform.parse(n.answer(local));
    expect(answer.media.map((m) => [m.type, m.port])).toEqual([['audio', 20000], ['video', 0]]);
  });

  it('rejects an offer with no supported audio codec with 488 and warn-code 305 (G.722 offered but not in the policy)', () => {
    let err: unknown;
    try {
      negotiateOffer(offer('m=audio 4000 RTP/AVP 9 18\r\na=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000'), policy);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OfferRejected);
    expect(err).toMatchObject({ status: 488, warnCode: 305 });
    expect((err as Error).message).toContain('G722');
  });

  describe('G.722 (RFC 3551 4.5.2)', () => {
    const withG722 = { audio: ['opus', 'G722', 'PCMU', 'PCMA'] as const, video: ['H264'] as const };

    it('accepts static PT 9 without an rtpmap, with RTP clock rate 8000, and answers G722/8000', () => {
      const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 9 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20'), withG722);
      expect(n.negotiated.audio).toMatchObject({ codec: 'G722', payloadType: 9, clockRate: 8000, channels: 1, telephoneEventPt: 101 });
      const answer = sdpTransform.parse(n.answer(local));
      expect(answer.media[0]).toMatchObject({ payloads: '9 101' });
      expect(answer.media[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual(['9 G722/8000', '101 telephone-event/8000']);
    });

    it('takes the payload type from the SDP: a dynamic type mapped to G722/8000', () => {
      const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 122\r\na=rtpmap:122 G722/8000'), withG722);
      expect(n.negotiated.audio).toMatchObject({ codec: 'G722', payloadType: 122, clockRate: 8000 });
      expect(n.answer(local)).toContain('a=rtpmap:122 G722/8000');
    });

    it('does not take G722/16000 (the RTP clock rate is 8000 by RFC 3551 4.5.2)', () => {
      const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 96 0\r\na=rtpmap:96 G722/16000'), withG722);
      expect(n.negotiated.audio).toMatchObject({ codec: 'PCMU', payloadType: 0 });
    });

    it('prefers wideband: G.722 over G.711 offered first; opus offered first stays opus', () => {
      expect(negotiateOffer(offer('m=audio 4000 RTP/AVP 0 8 9'), withG722).negotiated.audio?.codec).toBe('G722');
      expect(negotiateOffer(offer('m=audio 4000 RTP/AVP 8 9'), withG722).negotiated.audio?.codec).toBe('G722');
      expect(negotiateOffer(offer('m=audio 4000 RTP/AVP 111 0 9\r\na=rtpmap:111 opus/48000/2'), withG722).negotiated.audio?.codec).toBe('opus');
    });

    it('keeps G.711 when G.722 is left out of the policy', () => {
      expect(negotiateOffer(offer('m=audio 4000 RTP/AVP 0 9'), policy).negotiated.audio?.codec).toBe('PCMU');
    });
  });

  it('answers sendonly with recvonly (hold from the room)', () => {
    const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 0\r\na=sendonly'), policy);
    expect(sdpTransform.parse(n.answer(local)).media[0]!.direction).toBe('recvonly');
  });
});

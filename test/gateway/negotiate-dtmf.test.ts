import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { negotiateOffer } from '../../gateway/sdp/negotiate.ts';

const policy = { audio: ['opus', 'PCMU', 'PCMA'] as const, video: ['H264'] as const };
const local = { address: '127.0.0.1', audioPort: 20000, videoPort: 20002, sessionId: '42', sessionVersion: 1 };

function offer(media: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', media].join('\r\n') + '\r\n';
}

describe('telephone-event in the answer (RFC 4733 2.5.1.1, any payload type)', () => {
  it('keeps the offerer\'s telephone-event payload type, whatever number it chose', () => {
    const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 0 98\r\na=rtpmap:98 telephone-event/8000\r\na=fmtp:98 0-15'), policy);
    expect(n.negotiated.audio).toMatchObject({ codec: 'PCMU', telephoneEventPt: 98 });
    expect(n.negotiated.audio?.telephoneEventRate).toBeUndefined(); // same clock as the audio
    expect(sdpTransform.parse(n.answer(local)).media[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`)).toEqual(['0 PCMU/8000', '98 telephone-event/8000']);
  });

  it('pairs opus/48000 with telephone-event/8000 when that is all the room offers (baresip does)', () => {
    const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000'), policy);
    expect(n.negotiated.audio).toMatchObject({ codec: 'opus', clockRate: 48000, telephoneEventPt: 101, telephoneEventRate: 8000 });
    const rtp = sdpTransform.parse(n.answer(local)).media[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`);
    expect(rtp).toContain('101 telephone-event/8000');
  });

  it('prefers telephone-event at the audio clock when both are offered', () => {
    const n = negotiateOffer(
      offer('m=audio 4000 RTP/AVP 111 126 110\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=rtpmap:110 telephone-event/48000'),
      policy,
    );
    expect(n.negotiated.audio).toMatchObject({ codec: 'opus', telephoneEventPt: 110 });
    expect(n.negotiated.audio?.telephoneEventRate).toBeUndefined();
  });

  it('answers no telephone-event when none is offered', () => {
    const n = negotiateOffer(offer('m=audio 4000 RTP/AVP 0'), policy);
    expect(n.negotiated.audio?.telephoneEventPt).toBeUndefined();
  });
});

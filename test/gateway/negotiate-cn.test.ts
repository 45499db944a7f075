import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { negotiateOffer } from '../../gateway/sdp/negotiate.ts';
import { buildOffer, parseAnswer } from '../../gateway/sdp/offer.ts';

const policy = { audio: ['G722', 'PCMU', 'PCMA', 'opus'] as const, video: [] as const };
const local = { address: '127.0.0.1', audioPort: 20000, videoPort: 20002, sessionId: '42', sessionVersion: 1 };

function sdp(media: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', media].join('\r\n') + '\r\n';
}

function answerFormats(n: ReturnType<typeof negotiateOffer>): string[] {
  return sdpTransform.parse(n.answer(local)).media[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}`);
}

describe('comfort noise in the answer to a room (RFC 3389 5, RFC 3264 6.1)', () => {
  it('accepts static CN (PT 13, no rtpmap) beside G.711 and answers it', () => {
    const n = negotiateOffer(sdp('m=audio 4000 RTP/AVP 0 13\r\na=ptime:20'), policy);
    expect(n.negotiated.audio).toMatchObject({ codec: 'PCMU', cnPt: 13 });
    expect(sdpTransform.parse(n.answer(local)).media[0]!.payloads).toBe('0 13');
    expect(answerFormats(n)).toEqual(['0 PCMU/8000', '13 CN/8000']);
  });

  it('accepts a dynamic CN payload type beside G.722 (8000 clock, RFC 3551 4.5.2) and keeps its number', () => {
    const n = negotiateOffer(sdp('m=audio 4000 RTP/AVP 9 101 117\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:117 CN/8000'), policy);
    expect(n.negotiated.audio).toMatchObject({ codec: 'G722', telephoneEventPt: 101, cnPt: 117 });
    expect(answerFormats(n)).toEqual(['9 G722/8000', '101 telephone-event/8000', '117 CN/8000']);
  });

  it('does not answer CN that was not offered', () => {
    const n = negotiateOffer(sdp('m=audio 4000 RTP/AVP 8'), policy);
    expect(n.negotiated.audio?.cnPt).toBeUndefined();
    expect(answerFormats(n)).toEqual(['8 PCMA/8000']);
  });

  it('ignores CN on another clock than the codec (CN/16000 beside G.722 on 8000, CN/8000 beside Opus)', () => {
    const g722 = negotiateOffer(sdp('m=audio 4000 RTP/AVP 9 118\r\na=rtpmap:118 CN/16000'), policy);
    expect(g722.negotiated.audio?.cnPt).toBeUndefined();
    expect(answerFormats(g722)).toEqual(['9 G722/8000']);
    const opus = negotiateOffer(sdp('m=audio 4000 RTP/AVP 111 13\r\na=rtpmap:111 opus/48000/2'), policy);
    expect(opus.negotiated.audio).toMatchObject({ codec: 'opus' });
    expect(opus.negotiated.audio?.cnPt).toBeUndefined();
  });
});

describe('comfort noise in our dial-out offer and its answer', () => {
  it('offers CN/8000 as PT 13 with G.711/G.722, and not with Opus alone', () => {
    const withCn = sdpTransform.parse(buildOffer({ audio: ['G722', 'PCMA'], video: [] }, local)).media[0]!;
    expect(withCn.payloads).toBe('9 8 101 13');
    expect(withCn.rtp.find((r) => r.payload === 13)).toMatchObject({ codec: 'CN', rate: 8000 });
    const opusOnly = sdpTransform.parse(buildOffer({ audio: ['opus'], video: [] }, local)).media[0]!;
    expect(opusOnly.payloads).toBe('111 101');
  });

  it('reads CN from the answer only when the room kept it', () => {
    const kept = parseAnswer(sdp('m=audio 30000 RTP/AVP 9 13'), { audio: ['G722', 'PCMU'], video: [] });
    expect(kept.audio).toMatchObject({ codec: 'G722', cnPt: 13 });
    const dropped = parseAnswer(sdp('m=audio 30000 RTP/AVP 9'), { audio: ['G722', 'PCMU'], video: [] });
    expect(dropped.audio?.cnPt).toBeUndefined();
  });
});

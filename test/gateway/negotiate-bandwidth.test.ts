import { describe, expect, it } from 'vitest';
import { negotiateOffer } from '../../gateway/sdp/negotiate.ts';
import { parseAnswer } from '../../gateway/sdp/offer.ts';

const policy = { audio: ['PCMU'] as const, video: ['H264'] as const };

function sdp(session: string[], video: string[]): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', ...session, 't=0 0',
    'm=audio 4000 RTP/AVP 0', 'b=AS:64',
    'm=video 4002 RTP/AVP 96', ...video, 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f',
  ].join('\r\n') + '\r\n';
}

describe('the room\'s video bit rate limit from SDP b= lines (RFC 3890 TIAS, RFC 4566 5.8 AS/CT)', () => {
  it.each([
    ['no b= line: no limit', [], [], undefined],
    ['media b=TIAS is bit/s', [], ['b=TIAS:256000'], 256_000],
    ['media b=AS is kbit/s', [], ['b=AS:384'], 384_000],
    ['media TIAS is preferred over AS (RFC 3890 6.4)', [], ['b=AS:400', 'b=TIAS:256000'], 256_000],
    ['session b=AS bounds the video stream', ['b=AS:512'], [], 512_000],
    ['session: the smallest of TIAS, AS and CT', ['b=CT:300', 'b=AS:512'], [], 300_000],
    ['media level overrides session level', ['b=AS:2000'], ['b=TIAS:256000'], 256_000],
    ['unknown X- types and a zero value are ignored', [], ['b=X-YZ:128', 'b=AS:0'], undefined],
  ])('%s', (_name, session, video, expected) => {
    const video_ = negotiateOffer(sdp(session, video), policy).negotiated.video;
    expect(video_).toBeDefined();
    expect(video_?.maxBitrateBps).toBe(expected);
  });

  it('an answer from a room we dialled carries its limit too', () => {
    const negotiated = parseAnswer(sdp([], ['b=TIAS:320000']), policy);
    expect(negotiated.video?.maxBitrateBps).toBe(320_000);
  });

  it('the audio m-line\'s b=AS does not limit video', () => {
    expect(negotiateOffer(sdp([], []), policy).negotiated.video?.maxBitrateBps).toBeUndefined();
  });
});

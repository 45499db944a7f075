import { describe, expect, it } from 'vitest';
import { negotiateOffer } from '../../gateway/sdp/negotiate.ts';

const policy = { audio: ['opus', 'PCMU', 'PCMA'] as const, video: ['H264'] as const };

function offer(session: string, media: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 10.0.0.5', 's=-', 'c=IN IP4 10.0.0.5', 't=0 0', ...(session ? [session] : []), 'm=audio 4000 RTP/AVP 0', media]
    .filter(Boolean).join('\r\n') + '\r\n';
}

describe('negotiated audio carries the room\'s direction (media timeout on hold, RFC 3264 5.1)', () => {
  it.each([
    ['', '', undefined],
    ['', 'a=sendrecv', 'sendrecv'],
    ['', 'a=recvonly', 'recvonly'],
    ['a=inactive', '', 'inactive'], // session level (RFC 4566 6)
    ['a=inactive', 'a=sendonly', 'sendonly'], // media level wins
  ])('session %j, media %j → %s', (session, media, expected) => {
    expect(negotiateOffer(offer(session, media), policy).negotiated.audio?.direction).toBe(expected);
  });
});

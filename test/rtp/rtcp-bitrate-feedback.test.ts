import { expectOnlyDecodeErrors } from './rtcp-fuzz.ts';
import { describe, expect, it } from 'vitest';
import {
  ReceiverEstimatedMaxBitrate, TemporaryMaxBitrateNotification, TemporaryMaxBitrateRequest, UnknownRtcp,
  decodeRtcpCompound,
} from '../../rtp/index.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// 256000 bit/s = 128000 · 2^1, overhead 40 bytes: (1 << 26) | (128000 << 9) | 40
const TMMBR = hex('83cd0004 00000001 00000000 00000002 07e80028');
const TMMBN = hex('84cd0004 00000001 00000000 00000002 07e80028');
const TMMBN_EMPTY = hex('84cd0002 00000001 00000000');
// 1 000 000 bit/s = 250000 · 2^2, one SSRC: (1 << 24) | (2 << 18) | 250000
const REMB = hex('8fce0005 00000001 00000000 52454d42 010bd090 12345678');
const OTHER_AFB = hex('8fce0003 00000001 00000000 41424344');
const RR = hex('80c90001 aabbccdd');

describe('bit rate feedback: TMMBR/TMMBN (RFC 5104 4.2.1, 4.2.2) and REMB (draft-alvestrand-rmcat-remb 2.2)', () => {
  it('TMMBR decodes mantissa · 2^exp and the overhead, and round-trips byte for byte', () => {
    const t = TemporaryMaxBitrateRequest.decode(TMMBR);
    expect(t).toMatchObject({ senderSsrc: 1, mediaSsrc: 0 });
    expect(t.entries).toEqual([{ ssrc: 2, bitrateBps: 256_000, overheadBytes: 40 }]);
    expect(new TemporaryMaxBitrateRequest(1, [{ ssrc: 2, bitrateBps: 256_000, overheadBytes: 40 }]).encode()).toEqual(TMMBR);
  });

  it('TMMBN with the same entry, and an empty TMMBN (RFC 5104 4.2.2.2), round-trip', () => {
    expect(TemporaryMaxBitrateNotification.decode(TMMBN).entries).toEqual([{ ssrc: 2, bitrateBps: 256_000, overheadBytes: 40 }]);
    expect(new TemporaryMaxBitrateNotification(1, [{ ssrc: 2, bitrateBps: 256_000, overheadBytes: 40 }]).encode()).toEqual(TMMBN);
    expect(TemporaryMaxBitrateNotification.decode(TMMBN_EMPTY).entries).toEqual([]);
    expect(new TemporaryMaxBitrateNotification(1, []).encode()).toEqual(TMMBN_EMPTY);
  });

  it('encoding rounds a rate that does not fit 17 bits down, never above the limit', () => {
    const rate = 1_234_567;
    const back = TemporaryMaxBitrateRequest.decode(new TemporaryMaxBitrateRequest(1, [{ ssrc: 2, bitrateBps: rate, overheadBytes: 0 }]).encode());
    expect(back.entries[0]!.bitrateBps).toBeLessThanOrEqual(rate);
    expect(back.entries[0]!.bitrateBps).toBeGreaterThan(rate * 0.9999);
  });

  it('REMB decodes the bit rate and SSRC list, and round-trips', () => {
    const r = ReceiverEstimatedMaxBitrate.decode(REMB);
    expect(r).toMatchObject({ senderSsrc: 1, mediaSsrc: 0, bitrateBps: 1_000_000, ssrcs: [0x12345678] });
    expect(new ReceiverEstimatedMaxBitrate(1, 1_000_000, [0x12345678]).encode()).toEqual(REMB);
  });

  it('a compound yields TMMBR, TMMBN and REMB objects; other application feedback stays unknown', () => {
    const decoded = decodeRtcpCompound(Buffer.concat([RR, TMMBR, TMMBN_EMPTY, REMB, OTHER_AFB]));
    expect(decoded[1]).toBeInstanceOf(TemporaryMaxBitrateRequest);
    expect(decoded[2]).toBeInstanceOf(TemporaryMaxBitrateNotification);
    expect(decoded[3]).toBeInstanceOf(ReceiverEstimatedMaxBitrate);
    expect(decoded[4]).toBeInstanceOf(UnknownRtcp);
  });

  it.each([
    ['TMMBR without FCI (RFC 5104 4.2.1.2: one or more entries)', '83cd0002 00000001 00000000', 'ERR_RTCP_TOO_SHORT'],
    ['TMMBR with a partial entry', '83cd0005 00000001 00000000 00000002 07e80028 00000003', 'ERR_RTCP_BAD_LENGTH'],
    ['TMMBN without media SSRC', '84cd0001 00000001', 'ERR_RTCP_TOO_SHORT'],
    ['REMB claiming 2 SSRCs with none', '8fce0004 00000001 00000000 52454d42 0208d090', 'ERR_RTCP_BAD_COUNT'],
    ['REMB without the bit rate word', '8fce0003 00000001 00000000 52454d42', 'ERR_RTCP_TOO_SHORT'],
  ])('rejects %s with %s', (_name, bytes, code) => {
    expect(() => decodeRtcpCompound(hex(bytes))).toThrowError(expect.objectContaining({ code }));
  });

  it('throws only RtpDecodeError on mutated bit rate feedback (fuzz)', () => {
    expectOnlyDecodeErrors(Buffer.concat([RR, TMMBR, TMMBN, REMB]), 11);
  });
});

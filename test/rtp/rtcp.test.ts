import { expectOnlyDecodeErrors } from './rtcp-fuzz.ts';
import { describe, expect, it } from 'vitest';
import {
  FullIntraRequest, Goodbye, PictureLossIndication, ReceiverReport, ReportBlock, SenderReport,
  SourceDescription, UnknownRtcp, decodeRtcpCompound, iterateRtcp, ntpFromUnixMs,
} from '../../rtp/index.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const REPORT = '01020304 05fffffe 00010064 00000010 11112222 00000300';
const SR = hex(`81c8000c aabbccdd 83aa7e80 80000000 00001000 00000032 00001f40 ${REPORT}`);
const RR = hex(`81c90007 aabbccdd ${REPORT}`);
const SDES = hex('81ca0003 aabbccdd 01047465 73740000'); // CNAME "test", null item, pad
const BYE = hex('81cb0002 aabbccdd 03627965'); // reason "bye"
const PLI = hex('81ce0002 00000001 00000002');
const FIR = hex('84ce0004 00000001 00000000 00000002 05000000');
const NACK = hex('81cd0003 00000001 00000002 00640000'); // RTPFB FMT 1 (RFC 4585 6.2.1)

describe('RTCP wire objects (RFC 3550 6.4-6.6, RFC 4585 6.3.1, RFC 5104 4.3.1)', () => {
  it('SR decodes sender info and a signed cumulative loss, and round-trips', () => {
    const sr = SenderReport.decode(SR);
    expect(sr).toMatchObject({ ssrc: 0xaabbccdd, ntpMsw: 0x83aa7e80, ntpLsw: 0x80000000, rtpTimestamp: 0x1000, packetCount: 50, octetCount: 8000 });
    expect(sr.reports).toHaveLength(1);
    expect(sr.reports[0]).toMatchObject({ ssrc: 0x01020304, fractionLost: 5, cumulativeLost: -2, extendedHighestSequence: 0x10064, jitter: 16 });
    expect(sr.encode()).toEqual(SR);
  });

  it('RR, SDES, BYE, PLI, FIR round-trip byte for byte', () => {
    expect(ReceiverReport.decode(RR).encode()).toEqual(RR);
    const sdes = SourceDescription.decode(SDES);
    expect(sdes.chunks).toEqual([{ ssrc: 0xaabbccdd, items: [{ type: 1, text: 'test' }] }]);
    expect(sdes.encode()).toEqual(SDES);
    expect(SourceDescription.cname(0xaabbccdd, 'test').encode()).toEqual(SDES);
    const bye = Goodbye.decode(BYE);
    expect(bye).toMatchObject({ ssrcs: [0xaabbccdd], reason: 'bye' });
    expect(bye.encode()).toEqual(BYE);
    expect(PictureLossIndication.decode(PLI)).toMatchObject({ senderSsrc: 1, mediaSsrc: 2 });
    expect(new PictureLossIndication(1, 2).encode()).toEqual(PLI);
    const fir = FullIntraRequest.decode(FIR);
    expect(fir.entries).toEqual([{ ssrc: 2, sequenceNumber: 5 }]);
    expect(new FullIntraRequest(1, [{ ssrc: 2, sequenceNumber: 5 }]).encode()).toEqual(FIR);
  });

  it('report block encodes negative cumulative loss as 24-bit two\'s complement', () => {
    expect(new ReportBlock(1, 0, -1, 0, 0, 0, 0).encode().subarray(5, 8)).toEqual(hex('ffffff'));
  });

  it('compound iteration bounds each packet by its own length (NACK then PLI)', () => {
    const compound = Buffer.concat([RR, NACK, PLI]);
    const parts = [...iterateRtcp(compound)];
    expect(parts.map((p) => p.packet.length)).toEqual([RR.length, NACK.length, PLI.length]);
    const decoded = decodeRtcpCompound(compound);
    expect(decoded[0]).toBeInstanceOf(ReceiverReport);
    expect(decoded[1]).toBeInstanceOf(UnknownRtcp);
    expect((decoded[1] as UnknownRtcp).raw).toEqual(NACK); // not the rest of the datagram
    expect(decoded[2]).toBeInstanceOf(PictureLossIndication);
  });

  it.each([
    ['empty datagram', '', 'ERR_RTCP_TOO_SHORT'],
    ['3 bytes', '81c900', 'ERR_RTCP_TOO_SHORT'],
    ['version 1', '41c90001 aabbccdd', 'ERR_RTCP_BAD_VERSION'],
    ['length overruns datagram', '81c90007 aabbccdd', 'ERR_RTCP_BAD_LENGTH'],
    ['RC=2 with one block', `82c90007 aabbccdd ${REPORT}`, 'ERR_RTCP_BAD_COUNT'],
    ['SR without sender info', '80c80001 aabbccdd', 'ERR_RTCP_TOO_SHORT'],
    ['padding count 0', 'a0c90001 aabbcc00', 'ERR_RTCP_BAD_PADDING'],
    ['padding beyond body', 'a0c90001 aabbcc09', 'ERR_RTCP_BAD_PADDING'],
    ['PLI without media SSRC', '81ce0001 00000001', 'ERR_RTCP_TOO_SHORT'],
    ['FIR without FCI', '84ce0002 00000001 00000000', 'ERR_RTCP_BAD_LENGTH'],
    ['SDES chunk missing', '82ca0003 aabbccdd 01047465 73740000', 'ERR_RTCP_BAD_COUNT'],
    ['SDES item overruns', '81ca0002 aabbccdd 01097465', 'ERR_RTCP_TOO_SHORT'],
    ['BYE reason overruns', '81cb0002 aabbccdd 09627965', 'ERR_RTCP_TOO_SHORT'],
    ['not an RTCP type (RTP PT 0 + M)', '80800001 aabbccdd', 'ERR_RTCP_BAD_TYPE'],
    ['second packet truncated', '80c90001 aabbccdd 81ce0002 00000001', 'ERR_RTCP_BAD_LENGTH'],
  ])('rejects %s with %s', (_name, bytes, code) => {
    expect(() => decodeRtcpCompound(hex(bytes))).toThrowError(expect.objectContaining({ code }));
  });

  it('throws only RtpDecodeError on mutated compounds (fuzz)', () => {
    expectOnlyDecodeErrors(Buffer.concat([SR, SDES, NACK, FIR, BYE]), 7);
  });

  it('NTP conversion: Unix epoch is 2208988800 s after the NTP epoch (RFC 3550 4)', () => {
    expect(ntpFromUnixMs(0)).toEqual({ msw: 2208988800, lsw: 0 });
    expect(ntpFromUnixMs(1500).lsw).toBe(0x80000000);
  });
});

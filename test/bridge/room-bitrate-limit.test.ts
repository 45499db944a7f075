import { describe, expect, it } from 'vitest';
import { NO_BITRATE_LIMIT, RoomVideoBitrateLimit } from '../../bridge/video/room-bitrate-limit.ts';
import {
  ReceiverEstimatedMaxBitrate, ReceiverReport, SourceDescription, TemporaryMaxBitrateNotification, TemporaryMaxBitrateRequest,
  decodeRtcpCompound,
} from '../../rtp/index.ts';

const OURS = 0x0a0b0c0d;
const ROOM = 0x77;

function rig() {
  const limits: number[] = [];
  const sent: Buffer[] = [];
  const drops: string[] = [];
  const limit = new RoomVideoBitrateLimit({ onLimit: (b) => limits.push(b), sendRtcp: (p) => sent.push(p), onDrop: (k) => drops.push(k) });
  return { limit, limits, sent, drops };
}

const rr = () => new ReceiverReport(ROOM).encode();
const tmmbr = (ssrc: number, bps: number) => new TemporaryMaxBitrateRequest(ROOM, [{ ssrc, bitrateBps: bps, overheadBytes: 40 }]).encode();
const remb = (ssrcs: number[], bps: number) => new ReceiverEstimatedMaxBitrate(ROOM, bps, ssrcs).encode();

describe('the room\'s video bit rate limit (SDP, RFC 5104 TMMBR, REMB): smallest that applies', () => {
  it('the SDP limit is reported once; the same value again is not reported', () => {
    const r = rig();
    r.limit.setSdpLimit(384_000);
    r.limit.setSdpLimit(384_000);
    expect(r.limits).toEqual([384_000]);
  });

  it('a TMMBR for our SSRC below the SDP limit takes over, and is answered with a TMMBN naming its owner (RFC 5104 4.2.2.2)', () => {
    const r = rig();
    r.limit.setSdpLimit(1_000_000);
    r.limit.onRoomRtcp(Buffer.concat([rr(), tmmbr(OURS, 256_000)]), OURS, 'gw');
    expect(r.limits).toEqual([1_000_000, 256_000]);
    expect(r.sent).toHaveLength(1);
    const compound = decodeRtcpCompound(r.sent[0]!);
    expect(compound[0]).toBeInstanceOf(ReceiverReport); // RFC 4585 3.1 compound
    expect(compound[1]).toBeInstanceOf(SourceDescription);
    const tmmbn = compound[2] as TemporaryMaxBitrateNotification;
    expect(tmmbn).toBeInstanceOf(TemporaryMaxBitrateNotification);
    expect(tmmbn.senderSsrc).toBe(OURS);
    expect(tmmbn.entries).toEqual([{ ssrc: ROOM, bitrateBps: 256_000, overheadBytes: 40 }]);
  });

  it('a TMMBR above the SDP limit does not raise it', () => {
    const r = rig();
    r.limit.setSdpLimit(300_000);
    r.limit.onRoomRtcp(tmmbr(OURS, 2_000_000), OURS, 'gw');
    expect(r.limits).toEqual([300_000]);
    expect(r.limit.limitBps).toBe(300_000);
  });

  it('a TMMBR or REMB about another SSRC is not ours: no limit, no TMMBN', () => {
    const r = rig();
    r.limit.onRoomRtcp(Buffer.concat([tmmbr(0x1234, 100_000), remb([0x1234], 100_000)]), OURS, 'gw');
    expect(r.limits).toEqual([]);
    expect(r.sent).toEqual([]);
  });

  it('REMB naming our SSRC limits; a later higher REMB raises the limit again', () => {
    const r = rig();
    r.limit.onRoomRtcp(remb([OURS], 500_000), OURS, 'gw');
    r.limit.onRoomRtcp(remb([OURS], 1_500_000), OURS, 'gw');
    expect(r.limits).toEqual([500_000, 1_500_000]);
    expect(r.limit.stats()).toMatchObject({ rembBps: 1_500_000, limitBps: 1_500_000, rembReceived: 2 });
  });

  it('a re-offer without b= lifts the SDP limit: the port hears "no limit"', () => {
    const r = rig();
    r.limit.setSdpLimit(256_000);
    r.limit.setSdpLimit(undefined);
    expect(r.limits).toEqual([256_000, NO_BITRATE_LIMIT]);
  });

  it('a malformed REMB body is dropped and reported; a malformed compound header is left to the relay', () => {
    const r = rig();
    const bad = Buffer.from('8fce000400000001000000005245 4d42 0208d090'.replace(/\s/g, ''), 'hex');
    r.limit.onRoomRtcp(bad, OURS, 'gw');
    r.limit.onRoomRtcp(Buffer.from([0x80, 0xc9, 0x00, 0x09]), OURS, 'gw');
    expect(r.drops).toEqual(['rtcp-bitrate-malformed']);
    expect(r.limits).toEqual([]);
  });
});

describe('a limit from the room\'s call signalling (H.245 flowControlCommand)', () => {
  it('joins the others: the smallest is in force, and lifting it restores the rest', () => {
    const r = rig();
    r.limit.setSdpLimit(1_000_000);
    r.limit.setSignalledLimit(256_000);
    expect(r.limit.stats()).toMatchObject({ sdpBps: 1_000_000, signalledBps: 256_000, limitBps: 256_000 });
    r.limit.setSignalledLimit(undefined);
    expect(r.limits).toEqual([1_000_000, 256_000, 1_000_000]);
    expect(r.limit.stats().signalledBps).toBeUndefined();
  });

  it('alone, lifting it tells the cloud side there is no limit any more', () => {
    const r = rig();
    r.limit.setSignalledLimit(500_000);
    r.limit.setSignalledLimit(undefined);
    expect(r.limits).toEqual([500_000, NO_BITRATE_LIMIT]);
  });
});

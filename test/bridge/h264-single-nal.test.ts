import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { H264SingleNalRepacketizer, packetizationModeOf } from '../../bridge/video/h264-single-nal.ts';
import { VideoRelay } from '../../bridge/video/video-relay.ts';
import { RtpPacket } from '../../rtp/index.ts';

/** RFC 6184 5.8: split one NAL unit into FU-A payloads of at most `chunk` body bytes. */
function fuA(nal: Buffer, chunk: number): Buffer[] {
  const indicator = (nal[0]! & 0xe0) | 28;
  const type = nal[0]! & 0x1f;
  const body = nal.subarray(1);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += chunk) {
    const start = at === 0 ? 0x80 : 0;
    const end = at + chunk >= body.length ? 0x40 : 0;
    out.push(Buffer.concat([Buffer.from([indicator, start | end | type]), body.subarray(at, at + chunk)]));
  }
  return out;
}

function stapA(...nals: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([0x78]), ...nals.flatMap((n) => [Buffer.from([n.length >> 8, n.length & 0xff]), n])]);
}

const idr = Buffer.concat([Buffer.from([0x65]), randomBytes(5000)]);
const sps = Buffer.from([0x67, 0x42, 0xe0, 0x1f, 0x8c]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);

describe('H264SingleNalRepacketizer (RFC 6184 packetization-mode 0)', () => {
  it('reassembles FU-A fragments into the original NAL unit, marker on the last', () => {
    const r = new H264SingleNalRepacketizer();
    const frags = fuA(idr, 1100);
    expect(frags.length).toBe(5);
    const out = frags.flatMap((f, i) => r.push(f, 100 + i, 9000, i === frags.length - 1));
    expect(out).toHaveLength(1);
    expect(out[0]!.nal.equals(idr)).toBe(true);
    expect(out[0]!.marker).toBe(true);
  });

  it('splits STAP-A into its NAL units; passes single NAL units', () => {
    const r = new H264SingleNalRepacketizer();
    const out = r.push(stapA(sps, pps), 1, 0, false);
    expect(out.map((o) => o.nal)).toEqual([sps, pps]);
    expect(r.push(Buffer.from([0x41, 1, 2]), 2, 0, true)).toEqual([{ nal: Buffer.from([0x41, 1, 2]), marker: true }]);
  });

  it('drops a NAL unit that lost a fragment, and recovers at the next start', () => {
    const r = new H264SingleNalRepacketizer();
    const frags = fuA(idr, 1100);
    const out = [0, 1, 3, 4].flatMap((i) => r.push(frags[i]!, 200 + i, 1, i === 4));
    expect(out).toEqual([]);
    expect(r.droppedNals).toBe(1);
    const again = frags.flatMap((f, i) => r.push(f, 300 + i, 2, i === frags.length - 1));
    expect(again[0]!.nal.equals(idr)).toBe(true);
  });

  it('a truncated STAP-A is dropped, not over-read', () => {
    const r = new H264SingleNalRepacketizer();
    const bad = stapA(sps);
    bad[2] = 99;
    expect(r.push(bad, 1, 0, true)).toEqual([]);
    expect(r.droppedNals).toBe(1);
  });

  it('reads packetization-mode from fmtp (absent = 0, RFC 6184 8.1)', () => {
    expect(packetizationModeOf('profile-level-id=42e01f;packetization-mode=1')).toBe(1);
    expect(packetizationModeOf('profile-level-id=42e01f')).toBe(0);
    expect(packetizationModeOf(undefined)).toBe(0);
  });
});

describe('VideoRelay toward a packetization-mode 0 room', () => {
  it('sends single NAL units with continuous sequence numbers and the source timestamp', () => {
    const toRoom: RtpPacket[] = [];
    const relay = new VideoRelay({
      payloadType: 97, packetizationMode: 0,
      sendToRoom: (b) => toRoom.push(RtpPacket.decode(b)),
      sendToCloud: () => {}, onRoomWantsKeyframe: () => {}, onCloudSourceSwitch: () => {},
      onDrop: (k) => { throw new Error(k); }, now: () => 0,
    });
    const payloads = [stapA(sps, pps), ...fuA(idr, 1100)];
    payloads.forEach((p, i) =>
      relay.onCloudVideo(new RtpPacket({ payloadType: 102, sequenceNumber: 7000 + i, timestamp: 3000, ssrc: 5, marker: i === payloads.length - 1, payload: p }).encode()),
    );
    expect(toRoom.map((p) => p.payload[0]! & 0x1f)).toEqual([7, 8, 5]);
    expect(toRoom[2]!.payload.equals(idr)).toBe(true);
    expect(toRoom.map((p) => p.marker)).toEqual([false, false, true]);
    expect(new Set(toRoom.map((p) => p.timestamp)).size).toBe(1);
    for (let i = 1; i < toRoom.length; i++) expect(toRoom[i]!.sequenceNumber).toBe((toRoom[i - 1]!.sequenceNumber + 1) & 0xffff);
    expect(toRoom.every((p) => p.payloadType === 97)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { isH264KeyframeStart } from '../../bridge/video/h264-keyframe.ts';
import { VideoRelay } from '../../bridge/video/video-relay.ts';
import { RtpPacket } from '../../rtp/index.ts';

const IDR = 0x65; // NRI 3, type 5
const P_SLICE = 0x41; // NRI 2, type 1
const SPS = 0x67;

describe('isH264KeyframeStart (RFC 6184)', () => {
  it('single NAL units: IDR and SPS start a picture, other slices do not', () => {
    expect(isH264KeyframeStart(Buffer.from([IDR, 0x88]))).toBe(true);
    expect(isH264KeyframeStart(Buffer.from([SPS, 0x42]))).toBe(true);
    expect(isH264KeyframeStart(Buffer.from([P_SLICE, 0x9a]))).toBe(false);
    expect(isH264KeyframeStart(Buffer.from([0x68, 0xce]))).toBe(false); // PPS alone
    expect(isH264KeyframeStart(Buffer.alloc(0))).toBe(false);
  });

  it('FU-A: only the first fragment (S bit) of an IDR', () => {
    expect(isH264KeyframeStart(Buffer.from([0x7c, 0x85, 0]))).toBe(true); // S=1, type 5
    expect(isH264KeyframeStart(Buffer.from([0x7c, 0x05, 0]))).toBe(false); // middle fragment
    expect(isH264KeyframeStart(Buffer.from([0x7c, 0x45, 0]))).toBe(false); // end fragment
    expect(isH264KeyframeStart(Buffer.from([0x5c, 0x81, 0]))).toBe(false); // start of a P slice
    expect(isH264KeyframeStart(Buffer.from([0x7c]))).toBe(false); // truncated
  });

  it('STAP-A: any aggregated SPS or IDR; sizes are checked', () => {
    const stap = (...nals: number[][]) =>
      Buffer.concat([Buffer.from([0x78]), ...nals.map((n) => Buffer.concat([Buffer.from([n.length >> 8, n.length & 0xff]), Buffer.from(n)]))]);
    expect(isH264KeyframeStart(stap([SPS, 1, 2], [0x68, 3]))).toBe(true);
    expect(isH264KeyframeStart(stap([0x06, 1], [P_SLICE, 2]))).toBe(false); // SEI + P slice
    const lying = stap([0x06, 1]);
    lying[2] = 200; // size beyond the payload
    expect(isH264KeyframeStart(lying)).toBe(false);
  });
});

describe('VideoRelay source switches', () => {
  function rig() {
    const toRoom: RtpPacket[] = [];
    let switchRequests = 0;
    const relay = new VideoRelay({
      payloadType: 96,
      sendToRoom: (b) => toRoom.push(RtpPacket.decode(b)),
      sendToCloud: () => {},
      onRoomWantsKeyframe: () => {},
      onCloudSourceSwitch: () => switchRequests++,
      onDrop: (key) => { throw new Error(`unexpected drop ${key}`); },
      now: () => 0,
    });
    const send = (ssrc: number, seq: number, nal: number) =>
      relay.onCloudVideo(new RtpPacket({ payloadType: 102, sequenceNumber: seq, timestamp: seq * 3000, ssrc, payload: Buffer.from([nal, seq & 0xff]) }).encode());
    return { relay, toRoom, send, requests: () => switchRequests };
  }

  it('holds a new source until its IDR, asks for a keyframe meanwhile, and keeps seq continuous', () => {
    const r = rig();
    r.send(1, 10, IDR);
    r.send(1, 11, P_SLICE);
    expect(r.toRoom).toHaveLength(2);
    // participant 2 becomes the source: its P-frames are held, each asks for a keyframe
    r.send(2, 500, P_SLICE);
    r.send(2, 501, P_SLICE);
    expect(r.toRoom).toHaveLength(2);
    expect(r.relay.awaitingKeyframe).toBe(true);
    expect(r.relay.heldForKeyframe).toBe(2);
    expect(r.requests()).toBe(2);
    r.send(2, 502, IDR);
    r.send(2, 503, P_SLICE);
    expect(r.relay.awaitingKeyframe).toBe(false);
    expect(r.toRoom.map((p) => p.payload[1])).toEqual([10, 11, 502 & 0xff, 503 & 0xff]);
    const seqs = r.toRoom.map((p) => p.sequenceNumber);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) & 0xffff);
    expect(new Set(r.toRoom.map((p) => p.ssrc)).size).toBe(1);
    expect(r.relay.switches).toBe(2); // the first source, then participant 2
  });

  it('a new source that starts with a keyframe is forwarded at once, without a request', () => {
    const r = rig();
    r.send(1, 10, IDR);
    r.send(2, 90, SPS);
    expect(r.toRoom).toHaveLength(2);
    expect(r.requests()).toBe(0);
  });
});

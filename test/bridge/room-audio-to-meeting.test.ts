import { describe, expect, it } from 'vitest';
import { RoomAudioToMeeting } from '../../bridge/audio/room-audio-to-meeting.ts';
import { RtpPacket } from '../../rtp/index.ts';

function pcmu(seq: number, ts: number, n = 160, pt = 0): Buffer {
  return new RtpPacket({ payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: 1, payload: Buffer.alloc(n, 0xff) }).encode();
}

describe('room → meeting audio timing', () => {
  it('keeps a silence-suppression gap as a timestamp gap (×6) and marks the talkspurt (RFC 3551 4.1)', () => {
    const sent: RtpPacket[] = [];
    const drops: string[] = [];
    const up = new RoomAudioToMeeting({ codec: 'PCMU', payloadType: 0, send: (b) => sent.push(RtpPacket.decode(b)), onDrop: (k) => drops.push(k) });
    up.onRoomRtp(pcmu(1, 1000));
    up.onRoomRtp(pcmu(2, 1160));
    up.onRoomRtp(pcmu(3, 1160 + 160 + 800)); // 100 ms of silence not sent
    expect(sent).toHaveLength(3);
    expect(sent[0]!.marker).toBe(true);
    expect(sent[1]!.marker).toBe(false);
    expect(sent[2]!.marker).toBe(true);
    expect((sent[1]!.timestamp - sent[0]!.timestamp) >>> 0).toBe(960);
    expect((sent[2]!.timestamp - sent[1]!.timestamp) >>> 0).toBe(960 + 800 * 6);
    expect(sent.map((p) => p.sequenceNumber - sent[0]!.sequenceNumber)).toEqual([0, 1, 2]);
    expect(drops).toEqual([]);
  });

  it('drops duplicates and late packets, ignores comfort noise, rejects unknown payload types', () => {
    const sent: Buffer[] = [];
    const drops: string[] = [];
    const up = new RoomAudioToMeeting({ codec: 'PCMU', payloadType: 0, telephoneEventPt: 101, send: (b) => sent.push(b), onDrop: (k) => drops.push(k) });
    up.onRoomRtp(pcmu(1, 0));
    up.onRoomRtp(pcmu(1, 0)); // duplicate
    up.onRoomRtp(pcmu(2, 160, 1, 13)); // CN
    up.onRoomRtp(pcmu(3, 160, 4, 101)); // telephone-event (not translated yet)
    up.onRoomRtp(pcmu(4, 160, 160, 18)); // G.729, not negotiated
    expect(sent).toHaveLength(1);
    expect(drops).toEqual(['late', 'unexpected-pt']);
    expect(up.ignored).toBe(2);
  });

  it('G.722: 160 octets per 20 ms at RTP clock 8000 (RFC 3551 4.5.2); a gap keeps its length (×6) and marks the talkspurt', () => {
    const sent: RtpPacket[] = [];
    const drops: string[] = [];
    const up = new RoomAudioToMeeting({ codec: 'G722', payloadType: 9, send: (b) => sent.push(RtpPacket.decode(b)), onDrop: (k) => drops.push(k) });
    const g722 = (seq: number, ts: number, n = 160) => pcmu(seq, ts, n, 9);
    up.onRoomRtp(g722(1, 1000));
    up.onRoomRtp(g722(2, 1160));
    up.onRoomRtp(g722(3, 1320, 80)); // 10 ms packet: half a frame waits in the FIFO
    up.onRoomRtp(g722(4, 1400, 80)); // completes the third 20 ms frame
    up.onRoomRtp(g722(5, 1480 + 800)); // 100 ms of silence not sent
    up.onRoomRtp(g722(6, 1480 + 800)); // duplicate
    expect(sent).toHaveLength(4);
    expect(sent.map((p) => p.marker)).toEqual([true, false, false, true]);
    expect((sent[1]!.timestamp - sent[0]!.timestamp) >>> 0).toBe(960);
    expect((sent[2]!.timestamp - sent[1]!.timestamp) >>> 0).toBe(960);
    expect((sent[3]!.timestamp - sent[2]!.timestamp) >>> 0).toBe(960 + 800 * 6);
    expect(drops).toEqual(['late']);
  });
});

import { describe, expect, it } from 'vitest';
import { g711Encode } from '../../bridge/audio/g711.ts';
import { G722Encoder } from '../../bridge/audio/g722/index.ts';
import { OpusAudioDecoder } from '../../bridge/audio/opus-codec.ts';
import { RoomAudioToMeeting } from '../../bridge/audio/room-audio-to-meeting.ts';
import { RtpPacket } from '../../rtp/index.ts';
import { dominantFrequency, rms } from '../helpers/spectrum.ts';

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

describe('room → meeting audio content: the room\'s band reaches the meeting\'s Opus', () => {
  /** `frames` of a `hz` tone at `rate`, encoded by `encodeFrame`, through RoomAudioToMeeting; the Opus decoded at 48 kHz. */
  function through(codec: 'PCMU' | 'G722', hz: number, frames = 50): Int16Array {
    const rate = codec === 'G722' ? 16000 : 8000;
    const perFrame = rate / 50;
    const out: Int16Array[] = [];
    const dec = new OpusAudioDecoder();
    const up = new RoomAudioToMeeting({ codec, payloadType: codec === 'G722' ? 9 : 0, send: (b) => out.push(dec.decode(RtpPacket.decode(b).payload).slice()), onDrop: () => undefined });
    const g722 = new G722Encoder();
    for (let f = 0; f < frames; f++) {
      const pcm = new Int16Array(perFrame);
      for (let i = 0; i < perFrame; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * (f * perFrame + i)) / rate));
      const payload = Buffer.alloc(160);
      if (codec === 'G722') g722.encode(pcm, 0, perFrame, payload, 0);
      else g711Encode('PCMU', pcm, 0, perFrame, payload, 0);
      up.onRoomRtp(new RtpPacket({ payloadType: codec === 'G722' ? 9 : 0, sequenceNumber: f, timestamp: f * 160, ssrc: 1, payload }).encode());
    }
    expect(out).toHaveLength(frames);
    const all = new Int16Array(out.reduce((n, a) => n + a.length, 0));
    let o = 0;
    for (const a of out) { all.set(a, o); o += a.length; }
    return all.subarray(48000 * 0.2); // past the codecs' start-up
  }

  it('G.711 at 8 kHz into the encoder: a 1 kHz tone comes out at 1 kHz and at its level', () => {
    const pcm = through('PCMU', 1000);
    expect(Math.abs(dominantFrequency(pcm, 48000) - 1000)).toBeLessThan(10);
    expect(rms(pcm)).toBeGreaterThan((0.7 * 8000) / 32768 / Math.SQRT2); // rms is relative to full scale
  });

  it('G.722 at 16 kHz into the encoder: a 6 kHz tone (above narrowband) still comes out at 6 kHz', () => {
    const pcm = through('G722', 6000);
    expect(Math.abs(dominantFrequency(pcm, 48000) - 6000)).toBeLessThan(20);
    expect(rms(pcm)).toBeGreaterThan((0.5 * 8000) / 32768 / Math.SQRT2);
  });
});

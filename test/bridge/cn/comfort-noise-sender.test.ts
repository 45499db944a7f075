// meeting → room: discontinuous transmission with RFC 3389 CN toward rooms that negotiated it.
import { describe, expect, it } from 'vitest';
import { MeetingMixHub, OpusAudioEncoder, OPUS_FRAME_SAMPLES, type MixSubscription } from '../../../bridge/index.ts';
import { ComfortNoisePayload, ComfortNoiseSender } from '../../../bridge/audio/cn/index.ts';
import { MeetingAudioToRoom } from '../../../bridge/audio/meeting-audio-to-room.ts';
import { RtpPacket } from '../../../rtp/index.ts';

const idleTicker = { subscribe: () => () => {} };

describe('ComfortNoiseSender (RFC 3389 4)', () => {
  it('sends audio through the hangover, then one CN with the measured level, then only refreshes', () => {
    const cn = new ComfortNoiseSender({ hangoverMs: 200, refreshMs: 500 });
    const kinds: string[] = [];
    let sid: Buffer | undefined;
    for (let t = 0; t < 1200; t += 20) {
      cn.observeFrame(t < 100 ? 3000 : 33); // speech, then background at RMS 33 (≈ -60 dBov)
      const d = cn.decide(t);
      kinds.push(d.kind);
      if (d.kind === 'sid') sid ??= d.payload;
    }
    const firstSid = kinds.indexOf('sid');
    expect(firstSid).toBe(5 + 10); // 5 speech frames + 200 ms of silence
    expect(kinds.slice(0, firstSid).every((k) => k === 'audio')).toBe(true);
    expect(ComfortNoisePayload.decode(sid!).level).toBe(60);
    const sids = kinds.map((k, i) => (k === 'sid' ? i : -1)).filter((i) => i >= 0);
    expect(sids).toEqual([15, 40]); // refreshed after 500 ms
    expect(kinds.slice(16, 40).every((k) => k === 'skip')).toBe(true);
  });

  it('the first audio after a CN silence carries the marker', () => {
    const cn = new ComfortNoiseSender({ hangoverMs: 40 });
    for (let t = 0; t < 100; t += 20) {
      cn.observeFrame(0);
      cn.decide(t);
    }
    cn.observeFrame(5000);
    expect(cn.decide(100)).toEqual({ kind: 'audio', marker: true });
    cn.observeFrame(5000);
    expect(cn.decide(120)).toEqual({ kind: 'audio', marker: false });
  });

  it('a pause shorter than the hangover sends no CN', () => {
    const cn = new ComfortNoiseSender({ hangoverMs: 200 });
    for (let t = 0; t < 2000; t += 20) {
      cn.observeFrame(t % 300 < 160 ? 0 : 4000); // 160 ms pauses
      expect(cn.decide(t).kind).toBe('audio');
    }
  });
});

class ToneSource {
  private readonly enc = new OpusAudioEncoder();
  private seq = 1000;
  private phase = 0;
  next(amplitude = 8000): Buffer {
    const pcm = new Int16Array(OPUS_FRAME_SAMPLES);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * this.phase++) / 48000));
    const seq = this.seq++;
    return new RtpPacket({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 9, payload: this.enc.encode(pcm) }).encode();
  }
}

function room(hub: MeetingMixHub, cnPt?: number): { sub: MixSubscription; packets: RtpPacket[] } {
  const packets: RtpPacket[] = [];
  const sub = hub.subscribe({
    codec: 'G722', payloadType: 9, ptimeMs: 20, ...(cnPt === undefined ? {} : { cnPt }),
    send: (b) => packets.push(RtpPacket.decode(b)),
    onDrop: (key) => { throw new Error(`unexpected drop ${key}`); },
  });
  return { sub, packets };
}

function expectOneTimeline(packets: RtpPacket[]): void {
  for (let i = 1; i < packets.length; i++) {
    expect(packets[i]!.sequenceNumber).toBe((packets[i - 1]!.sequenceNumber + 1) & 0xffff);
    expect(((packets[i]!.timestamp - packets[i - 1]!.timestamp) | 0) % 160).toBe(0);
    expect(packets[i]!.ssrc).toBe(packets[0]!.ssrc);
  }
}

describe('MeetingMixHub: CN per room, the shared encode untouched', () => {
  it('a room with CN gets CN in the meeting\'s silence while a room without keeps getting audio; speech resumes with the marker', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker });
    const withCn = room(hub, 118);
    const plain = room(hub);
    const src = new ToneSource();
    let now = 0;
    for (let i = 0; i < 10; i++, now += 20) {
      withCn.sub.onCloudAudio('peer', src.next(), now);
      hub.tick(now);
    }
    for (let i = 0; i < 40; i++, now += 20) hub.tick(now); // the source stops: 800 ms of silence
    expect(hub.stats().encodesLastTick).toBe(1); // both rooms share one G.722 encode
    for (let i = 0; i < 10; i++, now += 20) {
      withCn.sub.onCloudAudio('peer', src.next(), now);
      hub.tick(now);
    }
    expect(plain.packets).toHaveLength(60);
    expect(plain.packets.every((p) => p.payloadType === 9)).toBe(true);
    const cn = withCn.packets.filter((p) => p.payloadType === 118);
    expect(cn.length).toBeGreaterThanOrEqual(1);
    expect(cn.length).toBeLessThanOrEqual(3);
    expect(ComfortNoisePayload.decode(cn[0]!.payload).level).toBe(127); // the mix is digital silence
    expect(cn[0]!.marker).toBe(false);
    expect(withCn.packets.length).toBeLessThan(40);
    expectOneTimeline(withCn.packets);
    // CN stands where the audio would have been: its timestamp is the plain room's at that point
    const at = withCn.packets.indexOf(cn[0]!);
    expect((cn[0]!.timestamp - withCn.packets[0]!.timestamp) >>> 0).toBe(160 * at);
    const resumed = withCn.packets[withCn.packets.length - 10]!;
    expect(resumed.payloadType).toBe(9);
    expect(resumed.marker).toBe(true); // RFC 3551 4.1
  });
});

describe('MeetingAudioToRoom (standalone downlink) with CN', () => {
  it('sends CN and then stays quiet when no meeting source is heard; without CN it sends silence', () => {
    const sent: RtpPacket[] = [];
    const plainSent: RtpPacket[] = [];
    const d = new MeetingAudioToRoom({ codec: 'PCMA', payloadType: 8, ptimeMs: 20, cnPt: 13, send: (b) => sent.push(RtpPacket.decode(b)), onDrop: () => {} });
    const plain = new MeetingAudioToRoom({ codec: 'PCMA', payloadType: 8, ptimeMs: 20, send: (b) => plainSent.push(RtpPacket.decode(b)), onDrop: () => {} });
    for (let t = 0; t < 1000; t += 20) {
      d.tick(t);
      plain.tick(t);
    }
    expect(plainSent).toHaveLength(50);
    expect(sent.slice(0, 10).every((p) => p.payloadType === 8)).toBe(true);
    expect(sent[10]!.payloadType).toBe(13);
    expect(sent.filter((p) => p.payloadType === 13)).toHaveLength(2); // at 200 ms and a refresh at 700 ms
    expect(sent).toHaveLength(12);
    expect(d.comfortNoise!.sidSent).toBe(2);
  });
});

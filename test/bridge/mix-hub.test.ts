import { describe, expect, it } from 'vitest';
import { G722Decoder, g711Decode, MeetingMixHub, MeetingMixHubs, OpusAudioEncoder, OPUS_FRAME_SAMPLES, type MixSubscription } from '../../bridge/index.ts';
import { RtpPacket } from '../../rtp/index.ts';
import { spectralPeaks } from '../helpers/spectrum.ts';

const idleTicker = { subscribe: () => () => {} };

/** A meeting participant sending a tone as Opus RTP (20 ms frames). */
class ToneSource {
  private readonly enc = new OpusAudioEncoder();
  private seq = 1000;
  private phase = 0;
  constructor(readonly hz: number, readonly amplitude = 8000) {}
  next(amplitude = this.amplitude): Buffer {
    const pcm = new Int16Array(OPUS_FRAME_SAMPLES);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * this.hz * this.phase++) / 48000));
    const seq = this.seq++;
    return new RtpPacket({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: this.hz, payload: this.enc.encode(pcm) }).encode();
  }
}

interface Room {
  sub: MixSubscription;
  packets: RtpPacket[];
}

function pcmuRoom(hub: MeetingMixHub, ownSourceId?: string): Room {
  const packets: RtpPacket[] = [];
  const sub = hub.subscribe({
    codec: 'PCMU', payloadType: 0, ptimeMs: 20,
    send: (b) => packets.push(RtpPacket.decode(b)),
    onDrop: (key) => { throw new Error(`unexpected drop ${key}`); },
  });
  sub.ownSourceId = ownSourceId;
  return { sub, packets };
}

function heard(room: Room, skipPackets = 20): number[] {
  const payloads = room.packets.slice(skipPackets).map((p) => p.payload);
  const pcm = new Int16Array(payloads.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of payloads) at += g711Decode('PCMU', p, pcm, at);
  return spectralPeaks(pcm, 8000, 6).filter((p) => p.level > 0.02).map((p) => Math.round(p.hz / 10) * 10).sort((a, b) => a - b);
}

/** Delivers one frame of every source through `feeder` and ticks the hub once. */
function run(hub: MeetingMixHub, feeder: MixSubscription, sources: Record<string, ToneSource>, ticks: number, t0 = 0): number {
  let now = t0;
  for (let i = 0; i < ticks; i++) {
    for (const [id, s] of Object.entries(sources)) feeder.onCloudAudio(id, s.next(), now);
    hub.tick(now);
    now += 20;
  }
  return now;
}

describe('MeetingMixHub', () => {
  it('listeners share one encode of the full mix; a speaking room hears everyone but itself', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker });
    const speaker = pcmuRoom(hub, 'room-b'); // its own voice arrives through the other rooms' legs
    const listeners = [pcmuRoom(hub, 'room-x'), pcmuRoom(hub, 'room-y'), pcmuRoom(hub)];
    const sources = { alice: new ToneSource(440), bob: new ToneSource(660), 'room-b': new ToneSource(1000) };
    run(hub, listeners[0]!.sub, sources, 100);
    expect(hub.stats()).toMatchObject({ sources: 3, subscribers: 4, speakers: 3, encodesLastTick: 2 });
    expect(heard(speaker)).toEqual([440, 660]);
    for (const l of listeners) expect(heard(l)).toEqual([440, 660, 1000]);
    // the listeners' payloads are the same bytes (one encode), in their own RTP streams
    const [a, b] = [listeners[0]!.packets.at(-1)!, listeners[1]!.packets.at(-1)!];
    expect(a.payload.equals(b.payload)).toBe(true);
    expect(a.ssrc).not.toBe(b.ssrc);
    expect(speaker.sub.activeSources).toBe(2);
    expect(listeners[2]!.sub.activeSources).toBe(3);
  });

  it('mixes only the loudest maxSpeakers sources', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker, maxSpeakers: 2 });
    const room = pcmuRoom(hub);
    run(hub, room.sub, { loud1: new ToneSource(500, 9000), loud2: new ToneSource(700, 8000), quiet: new ToneSource(1200, 1500) }, 100);
    expect(hub.stats().speakers).toBe(2);
    expect(heard(room)).toEqual([500, 700]);
  });

  it('decodes each source once when several legs deliver it; another leg takes over when the feeder goes', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker });
    const r1 = pcmuRoom(hub);
    const r2 = pcmuRoom(hub);
    const tone = new ToneSource(440);
    let now = 0;
    for (let i = 0; i < 50; i++) {
      const pkt = tone.next();
      r1.sub.onCloudAudio('alice', pkt, now);
      r2.sub.onCloudAudio('alice', Buffer.from(pkt), now); // the same participant through room 2's leg
      hub.tick(now);
      now += 20;
    }
    expect(hub.stats().duplicateFeeds).toBe(50);
    r1.sub.close();
    for (let i = 0; i < 60; i++) {
      r2.sub.onCloudAudio('alice', tone.next(), now);
      hub.tick(now);
      now += 20;
    }
    expect(heard(r2, 70)).toEqual([440]);
  });

  it('a G.722 room gets 160-octet payloads, timestamps +160 per 20 ms (RFC 3551 4.5.2), and hears the mix', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker });
    const packets: RtpPacket[] = [];
    const sub = hub.subscribe({ codec: 'G722', payloadType: 9, ptimeMs: 20, send: (b) => packets.push(RtpPacket.decode(b)), onDrop: () => {} });
    run(hub, sub, { alice: new ToneSource(440) }, 60);
    expect(packets.length).toBe(60);
    expect(packets.every((p) => p.payload.length === 160 && p.payloadType === 9)).toBe(true);
    for (let i = 1; i < packets.length; i++) expect((packets[i]!.timestamp - packets[i - 1]!.timestamp) >>> 0).toBe(160);
    const dec = new G722Decoder();
    const pcm = new Int16Array(320 * 40);
    packets.slice(20).forEach((p, i) => dec.decode(p.payload, pcm, i * 320));
    expect(spectralPeaks(pcm, 16000, 1)[0]!.hz).toBeCloseTo(440, -1);
  });

  it('MeetingMixHubs: one hub per meeting while a call holds it', () => {
    const hubs = new MeetingMixHubs({ ticker: idleTicker });
    const a = hubs.acquire('demo');
    const b = hubs.acquire('demo');
    const c = hubs.acquire('other');
    expect(a.hub).toBe(b.hub);
    expect(c.hub).not.toBe(a.hub);
    a.release();
    a.release(); // idempotent
    expect(hubs.size).toBe(2);
    b.release();
    c.release();
    expect(hubs.size).toBe(0);
  });
});

describe('MeetingMixHub claims', () => {
  it('one leg per source is claimed; the others are told to skip; a closed feeder hands over', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker, feederTimeoutMs: 100 });
    const a = pcmuRoom(hub);
    const b = pcmuRoom(hub);
    expect(a.sub.claimSource('alice', 0)).toBe(true);
    expect(b.sub.claimSource('alice', 10)).toBe(false);
    expect(a.sub.claimSource('alice', 20)).toBe(true);
    expect(b.sub.claimSource('bob', 20)).toBe(true); // another source, another feeder
    expect(b.sub.claimSource('alice', 500)).toBe(true); // a went quiet for longer than 100 ms
    expect(a.sub.claimSource('alice', 510)).toBe(false);
    b.sub.close();
    expect(a.sub.claimSource('alice', 520)).toBe(true);
    expect(hub.stats().duplicateFeeds).toBe(2);
  });

  it('legs that can stop a source are asked to once another leg feeds it, and to resume when the feeder leaves', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker, feederTimeoutMs: 100 });
    const asked: string[] = [];
    const pausable = (name: string): MixSubscription => hub.subscribe({
      codec: 'PCMU', payloadType: 0, ptimeMs: 20, send: () => undefined, onDrop: () => undefined,
      onSourceWanted: (id, wanted) => { asked.push(`${name}:${id}:${wanted ? 'resume' : 'pause'}`); return true; },
    });
    const [a, b, c] = [pausable('a'), pausable('b'), pausable('c')];
    expect(a.claimSource('alice', 0)).toBe(true);
    expect(b.claimSource('alice', 5)).toBe(false);
    expect(b.claimSource('alice', 10)).toBe(false); // packets in flight before the pause: asked once
    expect(c.claimSource('alice', 12)).toBe(false);
    expect(asked).toEqual(['b:alice:pause', 'c:alice:pause']);
    expect(hub.stats().sourcesUnwanted).toBe(2);
    // the feeder pauses (DTX) for longer than feederTimeoutMs: a paused leg's late packet never takes over
    expect(b.claimSource('alice', 400)).toBe(false);
    expect(a.claimSource('alice', 420)).toBe(true);
    // the feeder leaves: both others are asked to resume; the first to deliver feeds, the other pauses again
    a.close();
    expect(asked.slice(2)).toEqual(['b:alice:resume', 'c:alice:resume']);
    expect(c.claimSource('alice', 500)).toBe(true);
    expect(b.claimSource('alice', 505)).toBe(false);
    expect(asked.slice(4)).toEqual(['b:alice:pause']);
    // the participant leaves the meeting: nothing to resume; closing b then asks for nothing
    b.removeSource('alice');
    b.close();
    expect(asked).toHaveLength(5);
    expect(hub.stats().sourcesUnwanted).toBe(0);
  });

  it('a subscription closing while its leg lives on (re-INVITE) lets the leg receive its paused sources again', () => {
    const hub = new MeetingMixHub({ ticker: idleTicker });
    const asked: string[] = [];
    const opts = { codec: 'PCMU' as const, payloadType: 0, ptimeMs: 20, send: () => undefined, onDrop: () => undefined };
    const a = hub.subscribe(opts);
    const b = hub.subscribe({ ...opts, onSourceWanted: (id, wanted) => { asked.push(`${id}:${wanted}`); return true; } });
    a.claimSource('alice', 0);
    b.claimSource('alice', 1);
    b.close();
    expect(asked).toEqual(['alice:false', 'alice:true']);
  });

  describe('delay behind the jitter buffers (prefill 1 frame, mixed in the tick that released it)', () => {
    const peakOf = (p: RtpPacket): number => {
      const pcm = new Int16Array(p.payload.length);
      g711Decode('PCMU', p.payload, pcm, 0);
      return Math.max(...pcm.map(Math.abs));
    };

    it('a frame delivered before the tick goes out at that tick, not one period later', () => {
      const hub = new MeetingMixHub({ ticker: idleTicker });
      const room = pcmuRoom(hub);
      const feeder = pcmuRoom(hub, 'x').sub;
      const src = new ToneSource(440);
      for (let t = 0; t < 5; t++) hub.tick(t * 20); // silence while nobody speaks
      expect(room.packets).toHaveLength(5);
      for (let t = 5; t < 15; t++) {
        feeder.onCloudAudio('a', src.next(), t * 20 - 1);
        hub.tick(t * 20);
      }
      // the first frame is mixed at its own tick (Opus and resampler delay aside, the tone is there)
      expect(peakOf(room.packets[5]!)).toBeGreaterThan(2000);
      expect(peakOf(room.packets[4]!)).toBeLessThan(300);
    });

    it('an extra queued frame (two released in one tick) is taken back in the next pause, never from speech', () => {
      const hub = new MeetingMixHub({ ticker: idleTicker });
      const room = pcmuRoom(hub);
      const feeder = pcmuRoom(hub, 'x').sub;
      const src = new ToneSource(440);
      let now = 0;
      const tick = (frames: Buffer[]): void => {
        for (const f of frames) feeder.onCloudAudio('a', f, now);
        hub.tick(now);
        now += 20;
      };
      for (let t = 0; t < 10; t++) tick([src.next()]);
      tick([]); // a late packet: underrun...
      tick([src.next(), src.next()]); // ...then two at once: one frame more in the queue from now on
      for (let t = 0; t < 20; t++) tick([src.next()]);
      expect(hub.stats().trimmedFrames).toBe(0); // speech is never dropped
      for (let t = 0; t < 5; t++) tick([src.next(0)]); // a pause
      expect(hub.stats().trimmedFrames).toBe(1);
      for (let t = 0; t < 20; t++) tick([src.next(0)]);
      expect(hub.stats().trimmedFrames).toBe(1); // back to one frame per tick: nothing more trimmed
      expect(room.packets.length).toBe(now / 20);
    });
  });
});

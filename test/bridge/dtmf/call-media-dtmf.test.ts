import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { CallMedia, type NegotiatedMedia, type TickListener, type TickSource } from '../../../bridge/index.ts';
import { TelephoneEvent } from '../../../bridge/dtmf/index.ts';
import { PortAllocator, RtpPacket, type Logger } from '../../../rtp/index.ts';
import { FakeCloud, FakeTerminal } from '../fakes.ts';

/** A 20 ms media clock whose time the test sets (the sender paces itself by it). */
class SteppedTicker implements TickSource {
  private readonly listeners = new Set<TickListener>();
  private now = 1000;
  subscribe(fn: TickListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  tick(): void {
    this.now += 20;
    for (const fn of this.listeners) fn(this.now);
  }
}

const base = 46000 + 2 * Math.floor(Math.random() * 4000);
const ports = new PortAllocator({ min: base, max: base + 99 });
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** Any dynamic PT the offer chose (RFC 4733 2.5.1.1): not the usual 101. */
const TE_PT = 98;

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

async function rig(telephoneEventPt: number | undefined, opusWithTe8k = false) {
  const ticker = new SteppedTicker();
  const media = await CallMedia.create({ ports, bindAddress: '127.0.0.1', logger: quiet, ticker, video: false });
  const term = await FakeTerminal.open();
  const desc: NegotiatedMedia = {
    address: '127.0.0.1',
    audio: opusWithTe8k
      ? { port: term.port, payloadType: 111, codec: 'opus', clockRate: 48000, channels: 2, ptimeMs: 20, telephoneEventPt: TE_PT, telephoneEventRate: 8000 }
      : { port: term.port, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20, ...(telephoneEventPt !== undefined ? { telephoneEventPt } : {}) },
  };
  media.setRemote(desc);
  const cloud = new FakeCloud();
  media.attachCloud(cloud);
  cleanup = () => {
    media.close();
    term.close();
  };
  return { media, term, cloud, ticker };
}

function ev(seq: number, ts: number, end: boolean, duration: number, marker = false): Buffer {
  return new RtpPacket({ payloadType: TE_PT, marker, sequenceNumber: seq, timestamp: ts, ssrc: 42, payload: new TelephoneEvent(3, end, 10, duration).encode() }).encode();
}

describe('CallMedia and RFC 4733', () => {
  it('decodes the room\'s events on the negotiated PT into one dtmf event and never feeds them to the audio path', async () => {
    const { media, term, cloud } = await rig(TE_PT);
    const digits: string[] = [];
    media.on('dtmf', (d) => digits.push(d));
    const got = once(media, 'dtmf');
    const packets = [ev(1, 800, false, 0, true), ev(2, 800, false, 400), ev(3, 800, true, 800), ev(4, 800, true, 800), ev(5, 800, true, 800)];
    for (const p of packets) term.send(p, media.audioPort);
    const [digit, durationMs] = await got;
    expect([digit, durationMs]).toEqual(['3', 100]);
    // the last retransmission arrives too: counted as a duplicate, no second digit
    await expect.poll(() => media.dtmfStats().received.duplicates).toBe(2);
    expect(digits).toEqual(['3']);
    expect(cloud.audioSent).toHaveLength(0);
    expect(media.stats()).toMatchObject({ malformedDropped: 0, decodeErrors: 0 });
  });

  it('sends a key on the audio stream: same SSRC and sequence space, audio held during the event, marker after it', async () => {
    const { media, term, ticker } = await rig(TE_PT);
    expect(media.canSendRfc4733).toBe(true);
    expect(media.sendDtmf('#', 100)).toBe(true);
    for (let i = 0; i < 30; i++) ticker.tick();
    const sent = media.stats().room.audioOut.packets;
    expect(sent).toBeGreaterThan(15);
    await term.untilCount(sent); // loopback UDP: all of them arrive
    const pkts = term.received.map((b) => RtpPacket.decode(b));
    const events = pkts.filter((p) => p.payloadType === TE_PT);
    const audio = pkts.filter((p) => p.payloadType === 0);
    expect(events.length).toBeGreaterThanOrEqual(5);
    expect(new Set(pkts.map((p) => p.ssrc)).size).toBe(1);
    const seqs = pkts.map((p) => (p.sequenceNumber - pkts[0]!.sequenceNumber) & 0xffff);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    // no audio between the first and the last event packet
    const first = pkts.indexOf(events[0]!);
    const last = pkts.indexOf(events.at(-1)!);
    expect(pkts.slice(first, last + 1).every((p) => p.payloadType === TE_PT)).toBe(true);
    expect(events[0]!.marker).toBe(true);
    const after = pkts[last + 1]!;
    expect(after.payloadType).toBe(0);
    expect(after.marker).toBe(true); // RFC 3551 4.1: audio resumes as a new talkspurt
    expect(((after.timestamp - events[0]!.timestamp) | 0) >= 800).toBe(true);
    expect(TelephoneEvent.decode(events.at(-1)!.payload)).toMatchObject({ event: 11, end: true, duration: 800 });
    expect(audio.length).toBeGreaterThan(0);
  });

  it('an Opus room with telephone-event/8000: events are read on the 8 kHz clock, keys toward it go by INFO', async () => {
    const { media, term } = await rig(TE_PT, true);
    expect(media.canSendRfc4733).toBe(false); // its timestamps would not be on the 48 kHz audio clock
    const got = once(media, 'dtmf');
    term.send(ev(1, 800, true, 800, true), media.audioPort);
    const [digit, durationMs] = await got;
    expect([digit, durationMs]).toEqual(['3', 100]);
  });

  it('without telephone-event nothing is sent as RFC 4733 (the call falls back to INFO)', async () => {
    const { media } = await rig(undefined);
    expect(media.canSendRfc4733).toBe(false);
    expect(media.sendDtmf('1')).toBe(false);
  });
});

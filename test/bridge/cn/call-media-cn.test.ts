// meeting → room CN through CallMedia on loopback UDP, driven by a manual media clock.
import { afterEach, describe, expect, it } from 'vitest';
import { CallMedia } from '../../../bridge/index.ts';
import { ComfortNoisePayload } from '../../../bridge/audio/cn/index.ts';
import { PortAllocator, RtpPacket, type Logger } from '../../../rtp/index.ts';
import { FakeCloud, FakeTerminal, ManualTicker } from '../fakes.ts';

const base = 31000 + 2 * Math.floor(Math.random() * 900);
const ports = new PortAllocator({ min: base, max: base + 99 });
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function rig(cnPt: number | undefined) {
  const ticker = new ManualTicker();
  const media = await CallMedia.create({ ports, bindAddress: '127.0.0.1', logger: quiet, video: false, ticker });
  const term = await FakeTerminal.open();
  closers.push(() => { media.close(); term.close(); });
  media.setRemote({ address: '127.0.0.1', audio: { port: term.port, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20, ...(cnPt === undefined ? {} : { cnPt }) } });
  media.attachCloud(new FakeCloud());
  return { media, term, ticker };
}

describe('CallMedia toward a room that negotiated CN', () => {
  it('nobody speaks in the meeting: 200 ms of silence, then one CN packet on the same stream', async () => {
    const r = await rig(13);
    for (let i = 0; i < 14; i++) r.ticker.tick();
    await r.term.untilCount(11);
    const got = r.term.received.map((b) => RtpPacket.decode(b));
    expect(got.slice(0, 10).every((p) => p.payloadType === 0)).toBe(true);
    expect(got[10]!.payloadType).toBe(13);
    expect(got[10]!.ssrc).toBe(got[0]!.ssrc);
    expect(got[10]!.sequenceNumber).toBe((got[9]!.sequenceNumber + 1) & 0xffff);
    expect(got[10]!.timestamp).toBe((got[9]!.timestamp + 160) >>> 0);
    expect(ComfortNoisePayload.decode(got[10]!.payload).level).toBe(127);
    expect(r.media.stats().room.audioOut.packets).toBe(11); // ticks 12-14 sent nothing
  });

  it('without CN negotiated the room keeps getting audio every 20 ms', async () => {
    const r = await rig(undefined);
    for (let i = 0; i < 14; i++) r.ticker.tick();
    await r.term.untilCount(14);
    expect(r.term.received.map((b) => RtpPacket.decode(b).payloadType).every((pt) => pt === 0)).toBe(true);
  });
});

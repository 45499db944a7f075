// CallMedia tells its cloud port how much video the room wants (CloudMediaPort.limitVideoBitrate):
// from the SDP limit at setRemote/attach, and from TMMBR/REMB the room sends on its video RTCP.
import { afterEach, describe, expect, it } from 'vitest';
import { CallMedia, type NegotiatedMedia } from '../../bridge/index.ts';
import {
  PortAllocator, ReceiverEstimatedMaxBitrate, RtpPacket, TemporaryMaxBitrateNotification, TemporaryMaxBitrateRequest,
  decodeRtcpCompound, type Logger,
} from '../../rtp/index.ts';
import { FakeCloud, FakeTerminal, ManualTicker } from './fakes.ts';

const base = 42000 + 2 * Math.floor(Math.random() * 2000);
const ports = new PortAllocator({ min: base, max: base + 99 });
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

class LimitedCloud extends FakeCloud {
  readonly limits: number[] = [];
  private waiter: (() => void) | undefined;
  limitVideoBitrate(bps: number): void {
    this.limits.push(bps);
    this.waiter?.();
  }
  /** Resolves once `n` limits were received. */
  untilLimits(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = () => { if (this.limits.length >= n) resolve(); };
      this.waiter();
    });
  }
}

const open: { close(): void }[] = [];
afterEach(() => {
  for (const x of open.splice(0)) x.close();
});

async function rig(maxBitrateBps?: number) {
  const media = await CallMedia.create({ ports, bindAddress: '127.0.0.1', logger: quiet, ticker: new ManualTicker() });
  const audio = await FakeTerminal.open();
  const video = await FakeTerminal.open();
  const videoRtcp = await FakeTerminal.open();
  open.push(media, audio, video, videoRtcp);
  const desc: NegotiatedMedia = {
    address: '127.0.0.1',
    audio: { port: audio.port, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20 },
    video: { port: video.port, payloadType: 96, codec: 'H264', ...(maxBitrateBps ? { maxBitrateBps } : {}) },
  };
  media.setRemote(desc);
  return { media, video, videoRtcp };
}

describe('CallMedia → CloudMediaPort.limitVideoBitrate', () => {
  it('a limit known from the SDP reaches a port attached later, once', async () => {
    const { media } = await rig(256_000);
    const cloud = new LimitedCloud();
    media.attachCloud(cloud);
    expect(cloud.limits).toEqual([256_000]);
    expect(media.stats().videoBitrateLimit).toMatchObject({ sdpBps: 256_000, limitBps: 256_000 });
  });

  it('a port attached without a known limit hears "none"; a re-negotiated SDP limit reaches it', async () => {
    const { media, video } = await rig();
    const cloud = new LimitedCloud();
    media.attachCloud(cloud);
    expect(cloud.limits).toEqual([Number.POSITIVE_INFINITY]); // on attach always: none stated
    media.setRemote({ address: '127.0.0.1', video: { port: video.port, payloadType: 96, codec: 'H264', maxBitrateBps: 384_000 } });
    expect(cloud.limits).toEqual([Number.POSITIVE_INFINITY, 384_000]);
  });

  it('TMMBR from the room for our video SSRC lowers it and is answered with TMMBN; REMB lowers it further', async () => {
    const { media, video, videoRtcp } = await rig(1_000_000);
    const cloud = new LimitedCloud();
    media.attachCloud(cloud);
    // meeting video → room: learn the SSRC we send the room (an IDR, so the relay forwards it)
    cloud.emit('video', new RtpPacket({ payloadType: 102, sequenceNumber: 1, timestamp: 1, ssrc: 9, marker: true, payload: Buffer.from([0x65, 0x88]) }).encode());
    await video.untilCount(1);
    const ours = RtpPacket.decode(video.received[0]!).ssrc;
    videoRtcp.send(new TemporaryMaxBitrateRequest(0x77, [{ ssrc: ours, bitrateBps: 300_000, overheadBytes: 40 }]).encode(), media.videoPort + 1);
    let tmmbn: TemporaryMaxBitrateNotification | undefined;
    for (let n = 1; !tmmbn; n++) {
      // our periodic SR may come first: look at each datagram until the TMMBN
      await videoRtcp.untilCount(n);
      tmmbn = decodeRtcpCompound(videoRtcp.received[n - 1]!).find((p) => p instanceof TemporaryMaxBitrateNotification);
    }
    expect(tmmbn?.entries).toEqual([{ ssrc: 0x77, bitrateBps: 300_000, overheadBytes: 40 }]);
    expect(cloud.limits).toEqual([1_000_000, 300_000]);
    videoRtcp.send(new ReceiverEstimatedMaxBitrate(0x77, 200_000, [ours]).encode(), media.videoPort + 1);
    await cloud.untilLimits(3);
    expect(cloud.limits).toEqual([1_000_000, 300_000, 200_000]);
  });
});

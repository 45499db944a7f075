// Issue #4 through CallMedia on loopback: true loss/jitter in our RTCP, the room's reports parsed
// both ways, jitter buffers with concealment on both audio paths, and the media timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { CallMedia, OpusAudioDecoder, OpusAudioEncoder, g711Encode, type CallMediaOptions, type NegotiatedMedia } from '../../../bridge/index.ts';
import { MediaLiveness } from '../../../bridge/jitter/media-liveness.ts';
import {
  PortAllocator, ReceiverReport, ReportBlock, RtpPacket, SenderReport, decodeRtcpCompound, ntpFromUnixMs, type Logger,
} from '../../../rtp/index.ts';
import { dominantFrequency } from '../../helpers/spectrum.ts';
import { FakeCloud, FakeTerminal, ManualTicker, sineInt16 } from '../fakes.ts';

const base = 36000 + 2 * Math.floor(Math.random() * 2000);
const ports = new PortAllocator({ min: base, max: base + 199 });
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function rig(opts: Partial<CallMediaOptions> = {}, audio: Partial<NegotiatedMedia['audio']> = {}) {
  const media = await CallMedia.create({ ports, bindAddress: '127.0.0.1', logger: quiet, video: false, ...opts });
  const term = await FakeTerminal.open();
  const termRtcp = await FakeTerminal.open();
  const cloud = new FakeCloud();
  media.setRemote({ address: '127.0.0.1', audio: { port: term.port, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20, ...audio } });
  media.attachCloud(cloud);
  closers.push(() => { media.close(); term.close(); termRtcp.close(); });
  return { media, term, termRtcp, cloud };
}

function pcmuTone(seqs: number[], hz = 440): Buffer[] {
  const tone = sineInt16(hz, 8000, 160 * (Math.max(...seqs) + 1), 9000);
  return seqs.map((k) => {
    const payload = Buffer.alloc(160);
    g711Encode('PCMU', tone, k * 160, 160, payload, 0);
    return new RtpPacket({ payloadType: 0, sequenceNumber: 2000 + k, timestamp: 80000 + k * 160, ssrc: 0xabc, payload }).encode();
  });
}

describe('CallMedia RTCP with true figures, both ways (RFC 3550 6.4)', () => {
  it('reports the room\'s loss, LSR/DLSR in our SR, and exposes the room\'s own report (loss, jitter, RTT)', async () => {
    const ticker = new ManualTicker();
    const r = await rig({ ticker, rtcpIntervalMs: 40 });
    const missing = new Set([10, 20, 30, 31, 40]);
    const seqs = Array.from({ length: 60 }, (_, k) => k).filter((k) => !missing.has(k));
    for (const p of pcmuTone(seqs)) r.term.send(p, r.media.audioPort);
    await r.cloud.until(() => r.cloud.audioSent.length >= 40);
    for (let i = 0; i < 3; i++) ticker.tick(); // we send audio too, so we send SRs
    await r.term.untilCount(3);
    const ourSsrc = RtpPacket.decode(r.term.received[0]!).ssrc;
    // the room's SR (for LSR) with a report block about our stream (for what it saw of us)
    const now = Date.now();
    const ntp = ntpFromUnixMs(now);
    const lsrOurs = 0; // we have not had time to echo: the room reports LSR 0 first
    const roomSr = new SenderReport(0xabc, ntp.msw, ntp.lsw, 1, 55, 55 * 160, [new ReportBlock(ourSsrc, 64, 7, 1000, 80, lsrOurs, 0)]);
    r.termRtcp.send(roomSr.encode(), r.media.audioPort + 1);
    const roomLsr = (((ntp.msw & 0xffff) << 16) | (ntp.lsw >>> 16)) >>> 0;
    let block: ReportBlock | undefined;
    let ourSr: SenderReport | undefined;
    await expect.poll(() => {
      for (const d of r.termRtcp.received) {
        const sr = decodeRtcpCompound(d)[0];
        if (sr instanceof SenderReport && sr.reports[0]?.lastSr === roomLsr) [ourSr, block] = [sr, sr.reports[0]];
      }
      return block !== undefined;
    }, { timeout: 5000 }).toBe(true);
    expect(ourSr!.ssrc).toBe(ourSsrc);
    expect(block!.ssrc).toBe(0xabc);
    expect(block!.cumulativeLost).toBe(5);
    expect(block!.extendedHighestSequence).toBe(2059);
    expect(block!.delaySinceLastSr).toBeLessThan(65536 * 2);
    const q = r.media.stats().quality!.audio;
    expect(q.inbound!.cumulativeLost).toBe(5);
    expect(q.inbound!.lossPercent).toBeCloseTo((100 * 5) / 59, 3); // probation: base is the 2nd packet
    expect(q.remote!.ssrc).toBe(ourSsrc);
    expect(q.remote!.fractionLostPercent).toBe(25);
    expect(q.remote!.cumulativeLost).toBe(7);
    expect(q.remote!.jitterMs).toBe(10); // 80 units at 8 kHz
    expect(q.remote!.rttMs).toBeUndefined();
    // the room echoes our SR: now the round trip is known
    const echo = new ReceiverReport(0xabc, [new ReportBlock(ourSsrc, 0, 7, 1000, 80, (((ourSr!.ntpMsw & 0xffff) << 16) | (ourSr!.ntpLsw >>> 16)) >>> 0, 0)]);
    r.termRtcp.send(echo.encode(), r.media.audioPort + 1);
    await expect.poll(() => r.media.stats().quality!.audio.remote!.reports, { timeout: 2000 }).toBe(2);
    const rtt = r.media.stats().quality!.audio.remote!.rttMs!;
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(5000);
  });

  it('sends an RR with the report block when it has sent nothing (RFC 3550 6.4.2)', async () => {
    const r = await rig({ ticker: new ManualTicker(), rtcpIntervalMs: 40 });
    for (const p of pcmuTone([0, 1, 2, 4, 5])) r.term.send(p, r.media.audioPort);
    r.termRtcp.send(new ReceiverReport(0xabc).encode(), r.media.audioPort + 1); // latch our RTCP target
    await expect.poll(() => r.termRtcp.received.some((d) => {
      const rr = decodeRtcpCompound(d)[0];
      return rr instanceof ReceiverReport && rr.reports[0]?.cumulativeLost === 1;
    }), { timeout: 5000 }).toBe(true);
  });
});

describe('CallMedia with jitter buffers (real 20 ms clock)', () => {
  it('room → meeting: 5 % loss and reordering come out as a continuous 440 Hz Opus stream with concealed frames', async () => {
    const r = await rig({ jitterBuffer: true });
    const order = Array.from({ length: 60 }, (_, k) => k).filter((k) => ![7, 23, 41].includes(k));
    [order[30], order[31]] = [order[31]!, order[30]!];
    for (const p of pcmuTone(order)) r.term.send(p, r.media.audioPort);
    await r.cloud.until(() => r.cloud.audioSent.length >= 60);
    const got = r.cloud.audioSent.map((b) => RtpPacket.decode(b));
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.sequenceNumber).toBe((got[i - 1]!.sequenceNumber + 1) & 0xffff);
      expect(got[i]!.timestamp).toBe((got[i - 1]!.timestamp + 960) >>> 0);
    }
    const dec = new OpusAudioDecoder();
    const pcm = Int16Array.from(got.flatMap((p) => Array.from(dec.decode(p.payload))));
    expect(dominantFrequency(pcm, 48000)).toBeCloseTo(440, -1);
    const j = r.media.stats().jitter!.roomAudio!;
    expect(j.concealedFrames).toBe(3);
    expect(j.late).toBe(0);
  });

  it('meeting → room: a lost Opus packet of a source is concealed by its decoder, a duplicate dropped', async () => {
    const r = await rig({ jitterBuffer: true });
    const enc = new OpusAudioEncoder();
    const tone = sineInt16(880, 48000, 960 * 40, 9000);
    for (let k = 0; k < 40; k++) {
      const payload = enc.encode(tone, k * 960);
      if (k === 15) continue;
      const pkt = new RtpPacket({ payloadType: 100, sequenceNumber: 300 + k, timestamp: k * 960, ssrc: 4, payload }).encode();
      r.cloud.emit('audio', 'peer', pkt);
      if (k === 20) r.cloud.emit('audio', 'peer', Buffer.from(pkt));
    }
    await expect.poll(() => r.media.stats().jitter!.cloudAudio!.concealedPackets, { timeout: 5000 }).toBe(1);
    const j = r.media.stats().jitter!.cloudAudio!;
    expect(j.duplicates).toBe(1);
    expect(j.concealedMs).toBe(20);
  });

  it('emits media-timeout when neither RTP nor RTCP comes from the room', async () => {
    const r = await rig({ ticker: new ManualTicker(), mediaTimeoutMs: 200 });
    const silentMs = await new Promise<number>((resolve) => r.media.once('media-timeout', resolve));
    expect(silentMs).toBeGreaterThanOrEqual(200);
  });
});

describe('MediaLiveness (injected time)', () => {
  it('fires once after the timeout without RTP or RTCP', () => {
    const l = new MediaLiveness({ timeoutMs: 60_000 }, 0);
    expect(l.check(59_999)).toBe(false);
    expect(l.check(60_000)).toBe(true);
    expect(l.check(90_000)).toBe(false);
  });

  it('RTCP alone keeps a silent (DTX) call alive', () => {
    const l = new MediaLiveness({ timeoutMs: 60_000 }, 0);
    for (let t = 5000; t <= 300_000; t += 5000) {
      l.heard(t); // an RR every 5 s, no RTP
      expect(l.check(t + 4999)).toBe(false);
    }
  });

  it('a call on hold (the room does not send) never times out, and gets a full timeout on resume', () => {
    const l = new MediaLiveness({ timeoutMs: 60_000 }, 0);
    l.setRoomSending(false, 1000);
    expect(l.check(10 * 60_000)).toBe(false);
    l.setRoomSending(true, 600_000);
    expect(l.check(659_999)).toBe(false);
    expect(l.check(660_000)).toBe(true);
  });

  it('0 disables the rule', () => {
    expect(new MediaLiveness({ timeoutMs: 0 }, 0).check(1e9)).toBe(false);
  });
});

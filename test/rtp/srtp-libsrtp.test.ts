// Cross-check of rtp/srtp against libsrtp (inside the mediasoup worker), for every suite: a
// mediasoup PlainTransport with SDES-style keys decrypts our SRTP (across a sequence number
// wrap, so our sender's rollover counter is checked too), and we decrypt the SRTP and SRTCP it
// sends. Loopback only.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';
import { looksLikeRtcp, RtpPacket, SRTP_SUITES, SrtpSession, srtpSuite } from '../../rtp/index.ts';

const LOOPBACK = '127.0.0.1';
const OPUS_PT = 100;
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]); // RFC 6716 3.1: CELT FB 20 ms, one frame
const opus = { mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 } as const;

let worker: ms.Worker;
let router: ms.Router;

beforeAll(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'error' });
  router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
});

afterAll(() => {
  if (worker && !worker.closed) worker.close();
});

const rtp = (seq: number, ssrc: number) =>
  new RtpPacket({ payloadType: OPUS_PT, sequenceNumber: seq & 0xffff, timestamp: seq * 960, ssrc, payload: OPUS_SILENCE }).encode();

async function poll(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50)); // polling mediasoup stats: there is no event
  }
}

describe.each(SRTP_SUITES)('%s against libsrtp (mediasoup PlainTransport)', (suite) => {
  it('libsrtp decrypts our SRTP across a SEQ wrap, and we decrypt its SRTP and SRTCP', async () => {
    const listenInfo = { protocol: 'udp', ip: LOOPBACK } as const;
    const ours = dgram.createSocket('udp4');
    ours.bind(0, LOOPBACK);
    await once(ours, 'listening');
    const feeder = dgram.createSocket('udp4');
    feeder.bind(0, LOOPBACK);
    await once(feeder, 'listening');
    const a = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
    const b = await router.createPlainTransport({ listenInfo, rtcpMux: true, enableSrtp: true, srtpCryptoSuite: suite });
    try {
      const s = srtpSuite(suite);
      const ourKey = randomBytes(s.keyLength + s.saltLength);
      await b.connect({ ip: LOOPBACK, port: ours.address().port, srtpParameters: { cryptoSuite: suite, keyBase64: ourKey.toString('base64') } });
      const session = new SrtpSession({ suite, localKey: ourKey, remoteKey: Buffer.from(b.srtpParameters!.keyBase64, 'base64') });
      const got = { rtp: [] as Buffer[], rtcp: 0, dropped: [] as string[] };
      ours.on('message', (msg) => {
        const out = looksLikeRtcp(msg) ? session.unprotectRtcp(msg) : session.unprotectRtp(msg);
        if (typeof out === 'string') got.dropped.push(out);
        else if (looksLikeRtcp(msg)) got.rtcp++;
        else got.rtp.push(out);
      });

      // us → libsrtp: 20 packets from SEQ 65530, so the last 14 need ROC 1
      const OUR_SSRC = 0x55667788;
      const producer = await b.produce({ kind: 'audio', rtpParameters: { codecs: [opus], encodings: [{ ssrc: OUR_SSRC }] } });
      for (let i = 0; i < 20; i++) ours.send(session.protectRtp(rtp(65530 + i, OUR_SSRC)), b.tuple.localPort, LOOPBACK);
      await poll('libsrtp to accept 20 packets', async () => (await producer.getStats()).reduce((n, st) => n + st.packetCount, 0) >= 20);

      // libsrtp → us: plain RTP into A is forwarded by B as SRTP
      const source = await a.produce({ kind: 'audio', rtpParameters: { codecs: [opus], encodings: [{ ssrc: 0x11223344 }] } });
      await b.consume({ producerId: source.id, rtpCapabilities: router.rtpCapabilities });
      for (let i = 0; i < 10; i++) feeder.send(rtp(100 + i, 0x11223344), a.tuple.localPort, LOOPBACK);
      await poll('10 SRTP packets from libsrtp', () => got.rtp.length >= 10);
      expect(got.rtp.every((p) => RtpPacket.decode(p).payload.equals(OPUS_SILENCE))).toBe(true);
      // mediasoup's first sender report comes within its RTCP interval
      await poll('an SRTCP packet from libsrtp', () => got.rtcp >= 1, 12_000);
      expect(got.dropped).toEqual([]);
      // libsrtp tags SRTCP with 80 bits even for AES_CM_128_HMAC_SHA1_32 (RFC 5764 4.1.2): we keep 80
      expect(session.rtcpTagLengthOut).toBe(srtpSuite(suite).rtcpTagLength);
    } finally {
      a.close();
      b.close();
      ours.close();
      feeder.close();
    }
  });
});

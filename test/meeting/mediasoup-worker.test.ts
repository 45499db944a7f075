// Proves the mediasoup worker built offline by scripts/build-mediasoup-worker.sh works,
// including SRTP through the libsrtp3→libsrtp2 compatibility header (MEDIASOUP.md): RTP from a
// plain socket enters plain transport A, is forwarded by SRTP transport B to SRTP transport C,
// and C must decrypt it with the right key (RFC 3711 / RFC 7714 suites) and nothing with a
// wrong one. Loopback only.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types as ms } from 'mediasoup';

const LOOPBACK = '127.0.0.1';
const SOURCE_SSRC = 0x11223344;
const OPUS_PT = 100;
const PACKETS = 20;
const POLL_DEADLINE_MS = 15_000;

const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]); // RFC 6716 3.1 TOC: CELT FB 20 ms, one frame

/** Each suite and the authentication tag it appends to every SRTP packet. */
const SUITES: Array<[ms.SrtpCryptoSuite, number]> = [
  ['AES_CM_128_HMAC_SHA1_80', 10], // RFC 3711 / RFC 4568 6.2.1: 80-bit HMAC-SHA1 tag
  ['AES_CM_128_HMAC_SHA1_32', 4], // RFC 4568 6.2.1: 32-bit tag
  ['AEAD_AES_128_GCM', 16], // RFC 7714 12: 16-octet AEAD tag
  ['AEAD_AES_256_GCM', 16],
];

let worker: ms.Worker;
let router: ms.Router;
let sender: dgram.Socket;

beforeAll(async () => {
  worker = await mediasoup.createWorker({ logLevel: 'error' });
  router = await worker.createRouter({
    mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
  });
  sender = dgram.createSocket('udp4');
  sender.bind(0, LOOPBACK);
  await once(sender, 'listening');
});

afterAll(async () => {
  sender?.close();
  if (worker && !worker.closed) worker.close();
});

/** Polls `probe` until it returns true; fails with `what` once the deadline passes. */
async function waitFor(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + POLL_DEADLINE_MS;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** RFC 3550 5.1 fixed header (V=2, no padding/extension/CSRC) + an Opus silence frame. */
function rtpPacket(seq: number): Buffer {
  const packet = Buffer.alloc(12 + 3);
  packet[0] = 0x80;
  packet[1] = OPUS_PT;
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE((seq * 960) >>> 0, 4);
  packet.writeUInt32BE(SOURCE_SSRC, 8);
  packet.set(OPUS_SILENCE, 12);
  return packet;
}

/** RFC 3550 5.1/5.3.1: length of the header, CSRCs and header extension of an RTP packet. */
function rtpHeaderLength(packet: Buffer): number {
  let length = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) length += 4 + 4 * packet.readUInt16BE(length + 2);
  return length;
}

/** RFC 5761 4: RTCP packet types 192-223 share the second octet's range with RTP's M+PT. */
function isRtp(packet: Buffer): boolean {
  return packet.length >= 12 && (packet[1]! < 192 || packet[1]! > 223);
}

async function sendPackets(port: number, count: number): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    await new Promise<void>((resolve, reject) =>
      sender.send(rtpPacket(seq), port, LOOPBACK, (err) => (err ? reject(err) : resolve())),
    );
  }
}

async function producerPacketCount(producer: ms.Producer): Promise<number> {
  const stats = await producer.getStats();
  return stats.reduce((sum, s) => sum + s.packetCount, 0);
}

async function consumerPacketsSent(consumer: ms.Consumer): Promise<number> {
  const stats = await consumer.getStats();
  return stats
    .filter((s) => s.type === 'outbound-rtp')
    .reduce((sum, s) => sum + s.packetCount, 0);
}

async function transportBytesReceived(transport: ms.PlainTransport): Promise<number> {
  const [stats] = await transport.getStats();
  return stats?.bytesReceived ?? 0;
}

/** The same suite's key length, with different key material. */
function wrongKey(params: ms.SrtpParameters): ms.SrtpParameters {
  const length = Buffer.from(params.keyBase64, 'base64').length;
  let keyBase64 = params.keyBase64;
  while (keyBase64 === params.keyBase64) keyBase64 = randomBytes(length).toString('base64');
  return { cryptoSuite: params.cryptoSuite, keyBase64 };
}

const LISTEN_INFO = { protocol: 'udp', ip: LOOPBACK } as const;

/** A plain RTP transport that learns where to send from the first packet it receives (comedia). */
function comediaTransport(): Promise<ms.PlainTransport> {
  return router.createPlainTransport({ listenInfo: LISTEN_INFO, rtcpMux: true, comedia: true });
}

/** A plain transport that protects what it sends and checks what it receives with SRTP `suite`. */
function srtpTransport(suite: ms.SrtpCryptoSuite): Promise<ms.PlainTransport> {
  return router.createPlainTransport({ listenInfo: LISTEN_INFO, rtcpMux: true, enableSrtp: true, srtpCryptoSuite: suite });
}

/** The producer on A for the Opus stream `sender` sends (SOURCE_SSRC, OPUS_PT). */
function produceSource(a: ms.PlainTransport): Promise<ms.Producer> {
  return a.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PT, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: SOURCE_SSRC }],
    },
  });
}

interface Chain {
  a: ms.PlainTransport;
  b: ms.PlainTransport;
  c: ms.PlainTransport;
  forwarded: ms.Consumer;
  received: ms.Producer;
  close(): void;
}

/**
 * A (plain, comedia) ← socket; producer on A; B (SRTP) consumes it and sends to C (SRTP);
 * producer on C for what arrives. C decrypts with B's key, or a wrong one.
 */
async function buildChain(suite: ms.SrtpCryptoSuite, keyForC: 'right' | 'wrong'): Promise<Chain> {
  const a = await comediaTransport();
  const b = await srtpTransport(suite);
  const c = await srtpTransport(suite);
  const close = (): void => [a, b, c].forEach((t) => t.close());
  try {
    const bSrtp = b.srtpParameters;
    const cSrtp = c.srtpParameters;
    if (!bSrtp || !cSrtp) throw new Error('SRTP transports returned no srtpParameters');
    expect(bSrtp.cryptoSuite).toBe(suite);

    // Each side decrypts what it receives with the other side's sending key.
    await b.connect({ ip: c.tuple.localAddress, port: c.tuple.localPort, srtpParameters: cSrtp });
    await c.connect({
      ip: b.tuple.localAddress,
      port: b.tuple.localPort,
      srtpParameters: keyForC === 'right' ? bSrtp : wrongKey(bSrtp),
    });

    const source = await produceSource(a);
    const forwarded = await b.consume({
      producerId: source.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    const forwardedSsrc = forwarded.rtpParameters.encodings?.[0]?.ssrc;
    if (forwardedSsrc === undefined) throw new Error('consumer has no SSRC');
    const received = await c.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: forwarded.rtpParameters.codecs,
        encodings: [{ ssrc: forwardedSsrc }],
        rtcp: forwarded.rtpParameters.rtcp,
      },
    });
    return { a, b, c, forwarded, received, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Builds the chain, sends PACKETS into A, then runs `check` on it; the chain is closed either way. */
async function sendThroughChain(suite: ms.SrtpCryptoSuite, keyForC: 'right' | 'wrong', check: (chain: Chain) => Promise<void>): Promise<void> {
  const chain = await buildChain(suite, keyForC);
  try {
    await sendPackets(chain.a.tuple.localPort, PACKETS);
    await check(chain);
  } finally {
    chain.close();
  }
}

/** B (SRTP) consumes what A receives and sends it to a raw socket; resolves B's first RTP packet. */
async function firstSrtpPacketFromB(suite: ms.SrtpCryptoSuite): Promise<Buffer> {
  const sink = dgram.createSocket('udp4');
  sink.bind(0, LOOPBACK);
  await once(sink, 'listening');
  const a = await comediaTransport();
  const b = await srtpTransport(suite);
  try {
    const arrived = new Promise<Buffer>((resolve) =>
      sink.on('message', (msg) => {
        if (isRtp(msg)) resolve(msg);
      }),
    );
    await b.connect({
      ip: LOOPBACK,
      port: sink.address().port,
      srtpParameters: b.srtpParameters!,
    });
    const source = await produceSource(a);
    await b.consume({ producerId: source.id, rtpCapabilities: router.rtpCapabilities });
    await sendPackets(a.tuple.localPort, 1);
    return await arrived;
  } finally {
    a.close();
    b.close();
    sink.close();
  }
}

describe('mediasoup worker built offline', () => {
  it('starts, answers getResourceUsage and reports its version', async () => {
    const usage = await worker.getResourceUsage();
    expect(usage.ru_maxrss).toBeGreaterThan(0);
    expect(mediasoup.version).toBe('3.27.1');
    expect(worker.pid).toBeGreaterThan(0);
  });

  describe.each(SUITES)('SRTP %s between two PlainTransports', (suite, tagLength) => {
    it(`sends the payload encrypted, followed by a ${tagLength}-octet tag`, async () => {
      const packet = await firstSrtpPacketFromB(suite);
      const payloadAndTag = packet.subarray(rtpHeaderLength(packet));
      expect(payloadAndTag.length).toBe(OPUS_SILENCE.length + tagLength);
      expect(payloadAndTag.subarray(0, OPUS_SILENCE.length).equals(OPUS_SILENCE)).toBe(false);
    });

    it('decrypts every packet with the right key', () =>
      sendThroughChain(suite, 'right', async (chain) => {
        await waitFor(`C to decrypt ${PACKETS} packets`, async () =>
          (await producerPacketCount(chain.received)) >= PACKETS,
        );
        expect(await consumerPacketsSent(chain.forwarded)).toBe(PACKETS);
        expect(await producerPacketCount(chain.received)).toBe(PACKETS);
      }));

    it('decrypts nothing with a wrong key', () =>
      sendThroughChain(suite, 'wrong', async (chain) => {
        // B has encrypted and sent all packets, and C has received datagrams from it...
        await waitFor(`B to send ${PACKETS} packets`, async () =>
          (await consumerPacketsSent(chain.forwarded)) >= PACKETS,
        );
        const [bStats] = await chain.b.getStats();
        const bytesSentByB = bStats?.bytesSent ?? 0;
        expect(bytesSentByB).toBeGreaterThan(0);
        await waitFor('C to receive every byte B sent', async () =>
          (await transportBytesReceived(chain.c)) >= bytesSentByB,
        );
        // ...yet none of them authenticates, so C's producer never sees a packet.
        expect(await producerPacketCount(chain.received)).toBe(0);
      }));
  });

  it('closes cleanly: the worker process exits and no "died" event fires', async () => {
    const extra = await mediasoup.createWorker({ logLevel: 'error' });
    let died = false;
    extra.on('died', () => {
      died = true;
    });
    const closed = once(extra.observer, 'close');
    const pid = extra.pid;
    extra.close();
    await closed;
    expect(extra.closed).toBe(true);
    await waitFor(`worker process ${pid} to exit`, async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(died).toBe(false);
  });
});

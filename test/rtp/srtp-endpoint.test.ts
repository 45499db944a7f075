// RtpEndpoint with an SRTP transform: both directions of RTP and RTCP protected, failures
// dropped and counted (never thrown out of the socket callback), contexts kept or replaced.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator, ReceiverReport, RtpEndpoint, RtpPacket, SrtpSession, type SrtpParameters } from '../../rtp/index.ts';

const base = 44000 + 2 * Math.floor(Math.random() * 2000);
const ports = new PortAllocator({ min: base, max: base + 199 });
const open: { close(): void }[] = [];

afterEach(() => {
  while (open.length) open.pop()!.close();
});

async function endpoint(): Promise<RtpEndpoint> {
  const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
  open.push(ep);
  return ep;
}

async function peer(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  open.push(s);
  return s;
}

const rtp = (seq: number) => new RtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 99, payload: Buffer.alloc(160, 0x7f) }).encode();
const keys = (): { a: SrtpParameters; b: SrtpParameters } => {
  const ka = randomBytes(30);
  const kb = randomBytes(30);
  return {
    a: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: ka, remoteKey: kb },
    b: { suite: 'AES_CM_128_HMAC_SHA1_80', localKey: kb, remoteKey: ka },
  };
};

describe('RtpEndpoint with SRTP', () => {
  it('sends SRTP/SRTCP and delivers the peer\'s packets decrypted, RTP and RTCP', async () => {
    const [x, y] = [await endpoint(), await endpoint()];
    const { a, b } = keys();
    x.setRemote('127.0.0.1', y.rtpPort, { srtp: a });
    y.setRemote('127.0.0.1', x.rtpPort, { srtp: b });
    const gotRtp = once(y, 'rtp');
    x.sendRtp(rtp(1));
    expect(((await gotRtp) as [Buffer])[0]).toEqual(rtp(1));
    const rr = new ReceiverReport(99).encode();
    const gotRtcp = once(y, 'rtcp');
    x.sendRtcp(rr);
    expect(((await gotRtcp) as [Buffer])[0]).toEqual(rr);
  });

  it('the wire carries ciphertext: a plain listener sees the header but not the payload', async () => {
    const x = await endpoint();
    const tap = await peer();
    x.setRemote('127.0.0.1', tap.address().port, { srtp: keys().a });
    const got = once(tap, 'message');
    x.sendRtp(rtp(5));
    const [wire] = (await got) as [Buffer];
    expect(wire.length).toBe(rtp(5).length + 10);
    expect(wire.subarray(0, 12)).toEqual(rtp(5).subarray(0, 12));
    expect(wire.subarray(12, 172)).not.toEqual(rtp(5).subarray(12));
  });

  it('drops plain RTP, forged and replayed SRTP, counts them, and neither emits nor latches on them', async () => {
    const [x, y] = [await endpoint(), await endpoint()];
    const { a, b } = keys();
    const attacker = await peer();
    y.setRemote('127.0.0.1', x.rtpPort, { srtp: b });
    const emitted: Buffer[] = [];
    y.on('rtp', (p) => emitted.push(p));
    const sender = new SrtpSession(a);
    const genuine = sender.protectRtp(rtp(7));
    attacker.send(rtp(6), y.rtpPort, '127.0.0.1'); // plain: no valid tag
    const forged = Buffer.from(genuine);
    forged[20]! ^= 1;
    attacker.send(forged, y.rtpPort, '127.0.0.1');
    attacker.send(genuine, y.rtpPort, '127.0.0.1');
    await once(y, 'rtp');
    attacker.send(genuine, y.rtpPort, '127.0.0.1'); // replay
    const marker = sender.protectRtp(rtp(8));
    const next = once(y, 'rtp');
    attacker.send(marker, y.rtpPort, '127.0.0.1');
    await next; // datagrams on loopback arrive in order: the replay was handled before this
    expect(emitted.map((p) => p.readUInt16BE(2))).toEqual([7, 8]);
    expect(y.stats()).toMatchObject({ srtpAuthFailures: 2, srtpReplays: 1, rtpIn: 2 });
  });

  it('keeps the crypto context when setRemote repeats the same keys and replaces it for new keys', async () => {
    const x = await endpoint();
    const { a } = keys();
    x.setRemote('127.0.0.1', 5000, { srtp: a });
    const first = x.srtpSession;
    x.setRemote('127.0.0.1', 5002, { srtp: { ...a, localKey: Buffer.from(a.localKey) } });
    expect(x.srtpSession).toBe(first);
    x.setRemote('127.0.0.1', 5002, { srtp: keys().a });
    expect(x.srtpSession).not.toBe(first);
    x.setRemote('127.0.0.1', 5002);
    expect(x.srtpSession).toBeUndefined();
  });
});

import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PictureLossIndication, PortAllocator, RtpEndpoint, RtpPacket, type Logger } from '../../rtp/index.ts';

const base = 42000 + 2 * Math.floor(Math.random() * 2000);
const ports = new PortAllocator({ min: base, max: base + 199 });
const open: { close(): void }[] = [];

async function peer(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  open.push(s);
  return s;
}

function rtp(seq: number): Buffer {
  return new RtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 42, payload: Buffer.alloc(160, 0xff) }).encode();
}

function spyLogger(): Logger & { warn: ReturnType<typeof vi.fn> } {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

afterEach(() => {
  while (open.length) open.pop()!.close();
});

describe('RtpEndpoint', () => {
  it('latches to the source of the first valid RTP packet (symmetric RTP) and sends there', async () => {
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    open.push(ep);
    const sdpTarget = await peer(); // where SDP said; the terminal actually sends from `terminal`
    const terminal = await peer();
    ep.setRemote('127.0.0.1', sdpTarget.address().port);
    const latched = once(ep, 'latched');
    terminal.send(rtp(1), ep.rtpPort, '127.0.0.1');
    const [which, remote] = await latched;
    expect(which).toBe('rtp');
    expect(remote.port).toBe(terminal.address().port);
    const got = once(terminal, 'message');
    ep.sendRtp(rtp(7));
    const [msg] = (await got) as [Buffer];
    expect(RtpPacket.decode(msg).sequenceNumber).toBe(7);
    expect(ep.stats()).toMatchObject({ rtpIn: 1, rtpOut: 1 });
  });

  it('demultiplexes RTCP arriving on the RTP port by packet type (RFC 5761 4)', async () => {
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    open.push(ep);
    const terminal = await peer();
    const onRtp = vi.fn();
    ep.on('rtp', onRtp);
    const gotRtcp = once(ep, 'rtcp');
    terminal.send(new PictureLossIndication(1, 2).encode(), ep.rtpPort, '127.0.0.1');
    const [pkt] = (await gotRtcp) as [Buffer];
    expect(PictureLossIndication.decode(pkt).mediaSsrc).toBe(2);
    expect(onRtp).not.toHaveBeenCalled();
  });

  it('receives RTCP on RTP+1', async () => {
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    open.push(ep);
    const terminal = await peer();
    const gotRtcp = once(ep, 'rtcp');
    terminal.send(new PictureLossIndication(1, 3).encode(), ep.rtcpPort, '127.0.0.1');
    const [pkt] = (await gotRtcp) as [Buffer];
    expect(PictureLossIndication.decode(pkt).mediaSsrc).toBe(3);
  });

  it('drops malformed datagrams, counts each, logs once, and keeps working', async () => {
    const logger = spyLogger();
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1', logger });
    open.push(ep);
    const terminal = await peer();
    for (let i = 0; i < 3; i++) terminal.send(Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), ep.rtpPort, '127.0.0.1');
    terminal.send(Buffer.from([1, 2, 3]), ep.rtpPort, '127.0.0.1');
    const got = once(ep, 'rtp');
    terminal.send(rtp(5), ep.rtpPort, '127.0.0.1'); // same 5-tuple: arrives after the bad ones
    await got;
    expect(ep.stats().malformed).toBe(4);
    expect(logger.warn).toHaveBeenCalledTimes(2); // one per error kind (bad version, too short)
    expect(ep.stats().rtpIn).toBe(1);
  });

  it('does not latch on malformed input', async () => {
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    open.push(ep);
    const sdpTarget = await peer();
    const attacker = await peer();
    ep.setRemote('127.0.0.1', sdpTarget.address().port);
    attacker.send(Buffer.from('not rtp at all'), ep.rtpPort, '127.0.0.1');
    const marker = once(ep, 'rtcp');
    attacker.send(new PictureLossIndication(1, 1).encode(), ep.rtcpPort, '127.0.0.1');
    await marker;
    expect(ep.remoteRtp?.port).toBe(sdpTarget.address().port);
  });

  it('rejects a remote port outside 1-65535 (caller bug, not network input)', async () => {
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    open.push(ep);
    expect(() => ep.setRemote('127.0.0.1', 0)).toThrow(RangeError);
    expect(() => ep.setRemote('127.0.0.1', 65535)).toThrow(RangeError); // RTCP would be 65536
    expect(() => ep.setRemote('127.0.0.1', 65535, { rtcpMux: true })).not.toThrow();
  });

  it('close frees the port pair and is idempotent', async () => {
    const before = ports.inUse;
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    expect(ports.inUse).toBe(before + 1);
    ep.close();
    ep.close();
    expect(ports.inUse).toBe(before);
    ep.sendRtp(rtp(1)); // after close: dropped, counted, no throw
    expect(ep.stats().sendDropped).toBe(1);
  });
});

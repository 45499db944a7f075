import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { PortAllocator, PortsExhaustedError, RtpEndpoint } from '../../rtp/index.ts';

function bindAny(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

describe('PortAllocator', () => {
  it('hands out even RTP ports (RTCP = RTP+1) inside the range, never twice while held', () => {
    const a = new PortAllocator({ min: 30001, max: 30010 }); // rounds min up to 30002
    expect(a.capacity).toBe(4);
    const got = [a.reserve(), a.reserve(), a.reserve(), a.reserve()];
    expect(got).toEqual([30002, 30004, 30006, 30008]);
    expect(a.inUse).toBe(4);
    expect(a.reserve()).toBeUndefined();
    a.release(30004);
    expect(a.inUse).toBe(3);
    expect(a.reserve()).toBe(30004);
    a.release(30004);
    a.release(30004); // idempotent
    expect(a.inUse).toBe(3);
  });

  it('rejects ranges that cannot hold a pair', () => {
    expect(() => new PortAllocator({ min: 40000, max: 40000 })).toThrow(RangeError);
    expect(() => new PortAllocator({ min: 80, max: 90 })).toThrow(RangeError);
  });

  it('skips a pair the OS refuses and binds the next one', async () => {
    const blocker = await bindAny();
    const busy = blocker.address().port;
    const even = busy - (busy % 2);
    const ports = new PortAllocator({ min: even, max: Math.min(65535, even + 41) });
    const ep = await RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' });
    try {
      expect(ep.rtpPort).not.toBe(even);
      expect(ep.rtpPort % 2).toBe(0);
      expect(ep.rtcpPort).toBe(ep.rtpPort + 1);
      expect(ports.inUse).toBe(1); // the refused pair went back
    } finally {
      ep.close();
      blocker.close();
    }
    expect(ports.inUse).toBe(0);
  });

  it('fails with PortsExhaustedError when every pair is taken', async () => {
    const blocker = await bindAny();
    const busy = blocker.address().port;
    const even = busy - (busy % 2);
    const ports = new PortAllocator({ min: even, max: even + 1 });
    await expect(RtpEndpoint.open({ ports, bindAddress: '127.0.0.1' })).rejects.toBeInstanceOf(PortsExhaustedError);
    expect(ports.inUse).toBe(0);
    blocker.close();
  });
});

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

  it('a pool shared by owners takes back one owner\'s pairs only (a thread that died), and release stays idempotent', () => {
    const control = new PortAllocator({ min: 40000, max: 40007 });
    const threadA = new PortAllocator({ min: 40000, max: 40007, shared: control.shared, owner: 2 });
    const threadB = new PortAllocator({ min: 40000, max: 40007, shared: control.shared, owner: 3 });
    const a = [threadA.reserve()!, threadA.reserve()!];
    const b = threadB.reserve()!;
    expect(control.inUse).toBe(3);
    expect(control.releaseOwnedBy(2)).toBe(2);
    expect(control.inUse).toBe(1);
    expect(a.map((p) => control.isHeld(p))).toEqual([false, false]);
    expect(control.isHeld(b)).toBe(true);
    expect(control.releaseOwnedBy(2)).toBe(0);
    // a pair taken back goes to another owner; the old owner's late release does not free it
    const again = [threadB.reserve()!, threadB.reserve()!, threadB.reserve()!]; // 4 pairs: wraps round to A's
    expect(again).toContain(a[0]);
    threadA.release(a[0]!);
    expect(control.isHeld(a[0]!)).toBe(true);
    expect(control.inUse).toBe(4);
    expect(() => new PortAllocator({ min: 40000, max: 40007, owner: 0 })).toThrow(RangeError);
  });
});

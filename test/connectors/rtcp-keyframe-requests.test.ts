import { describe, expect, it } from 'vitest';
import { scanKeyframeRequests } from '../../gateway/connectors/mediasoup-meeting/rtcp-keyframe-requests.ts';

/** RFC 4585 6.3.1 PLI: V=2 FMT=1 PT=206 length=2. */
function pli(sender: number, media: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x80 | 1;
  b[1] = 206;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(sender, 4);
  b.writeUInt32BE(media, 8);
  return b;
}

/** RFC 5104 4.3.1.1 FIR with one FCI entry per (ssrc, seq). */
function fir(sender: number, entries: [number, number][]): Buffer {
  const b = Buffer.alloc(12 + 8 * entries.length);
  b[0] = 0x80 | 4;
  b[1] = 206;
  b.writeUInt16BE(b.length / 4 - 1, 2);
  b.writeUInt32BE(sender, 4);
  b.writeUInt32BE(0, 8);
  entries.forEach(([ssrc, seq], i) => {
    b.writeUInt32BE(ssrc, 12 + 8 * i);
    b[16 + 8 * i] = seq;
  });
  return b;
}

/** RFC 3550 6.4.2 empty receiver report. */
function emptyRr(sender: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(sender, 4);
  return b;
}

/** RFC 4585 6.2.1 generic NACK (PT=205 FMT=1) with one PID/BLP. */
function nack(sender: number, media: number, pid: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = 0x80 | 1;
  b[1] = 205;
  b.writeUInt16BE(3, 2);
  b.writeUInt32BE(sender, 4);
  b.writeUInt32BE(media, 8);
  b.writeUInt16BE(pid, 12);
  return b;
}

describe('scanKeyframeRequests (RFC 4585 6.3.1 PLI, RFC 5104 4.3.1 FIR)', () => {
  it('finds a lone PLI and its media source SSRC', () => {
    expect(scanKeyframeRequests(pli(1, 0xdeadbeef))).toEqual({ requests: [{ kind: 'pli', mediaSsrc: 0xdeadbeef }] });
  });

  it('finds a PLI after a receiver report in a compound packet (RFC 3550 6.1)', () => {
    expect(scanKeyframeRequests(Buffer.concat([emptyRr(1), pli(1, 42)])).requests).toEqual([{ kind: 'pli', mediaSsrc: 42 }]);
  });

  it('bounds each sub-packet to its own length: NACK followed by PLI (the werift 0.24 compound bug)', () => {
    const scan = scanKeyframeRequests(Buffer.concat([nack(1, 42, 1000), pli(1, 42)]));
    expect(scan).toEqual({ requests: [{ kind: 'pli', mediaSsrc: 42 }] });
  });

  it('reports every FCI entry of a FIR with its sequence number', () => {
    expect(scanKeyframeRequests(fir(9, [[42, 7], [43, 8]])).requests).toEqual([
      { kind: 'fir', mediaSsrc: 42, firSeq: 7 },
      { kind: 'fir', mediaSsrc: 43, firSeq: 8 },
    ]);
  });

  const truncatedPli = pli(1, 42).subarray(0, 10);
  const overrun = pli(1, 42);
  overrun.writeUInt16BE(9, 2);
  const v1 = pli(1, 42);
  v1[0] = 0x40 | 1;
  const shortFir = fir(9, [[42, 1]]);
  shortFir.writeUInt16BE(3, 2); // 16 bytes: FCI of 4 bytes
  const shortPsfb = Buffer.from([0x81, 206, 0x00, 0x01, 0, 0, 0, 1]);
  it.each([
    ['truncated header', Buffer.from([0x81, 206]), /truncated RTCP header/],
    ['length overrunning the datagram', overrun, /overruns datagram/],
    ['sub-packet cut short', truncatedPli, /overruns datagram/],
    ['RTCP version 1', v1, /RTCP version 1/],
    ['FIR whose FCI is not a multiple of 8', shortFir.subarray(0, 16), /FIR FCI of 4 bytes/],
    ['PSFB shorter than its fixed header', shortPsfb, /shorter than its fixed header/],
  ])('stops with an error on %s', (_name, buf, error) => {
    const scan = scanKeyframeRequests(buf);
    expect(scan.error).toMatch(error);
    expect(scan.requests).toEqual([]);
  });

  it('keeps the requests found before a malformed tail', () => {
    const scan = scanKeyframeRequests(Buffer.concat([pli(1, 5), Buffer.from([0x80, 201])]));
    expect(scan.requests).toEqual([{ kind: 'pli', mediaSsrc: 5 }]);
    expect(scan.error).toMatch(/truncated/);
  });

  it('never throws on random bytes (fuzz)', () => {
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: rnd() % 64 }, rnd));
      if (i % 2) buf[0] = 0x80 | (buf[0]! & 0x3f);
      expect(() => scanKeyframeRequests(buf)).not.toThrow();
    }
  });
});

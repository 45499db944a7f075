import { describe, expect, it } from 'vitest';
import { toOutboundPacket } from '../../gateway/connectors/mediasoup-meeting/outbound-rtp.ts';

function rtp(opts: { csrc?: number; extWords?: number; padding?: number; payload?: Buffer; marker?: boolean } = {}): Buffer {
  const csrc = opts.csrc ?? 0;
  const ext = opts.extWords === undefined ? Buffer.alloc(0) : Buffer.alloc(4 + 4 * opts.extWords);
  if (opts.extWords !== undefined) {
    ext.writeUInt16BE(0xbede, 0);
    ext.writeUInt16BE(opts.extWords, 2);
  }
  const payload = opts.payload ?? Buffer.from([1, 2, 3, 4, 5]);
  const pad = opts.padding ? Buffer.alloc(opts.padding) : Buffer.alloc(0);
  if (opts.padding) pad[pad.length - 1] = opts.padding;
  const header = Buffer.alloc(12 + 4 * csrc);
  header[0] = 0x80 | (opts.padding ? 0x20 : 0) | (opts.extWords !== undefined ? 0x10 : 0) | csrc;
  header[1] = (opts.marker ? 0x80 : 0) | 111;
  header.writeUInt16BE(4242, 2);
  header.writeUInt32BE(123456789, 4);
  header.writeUInt32BE(0xcafebabe, 8);
  return Buffer.concat([header, ext, payload, pad]);
}

describe('toOutboundPacket (RFC 3550 5.1 checks before reading)', () => {
  it('keeps marker, sequence number, timestamp and payload; drops CSRCs, extensions and padding', () => {
    const r = toOutboundPacket(rtp({ csrc: 2, extWords: 2, padding: 3, marker: true, payload: Buffer.from('opus') }));
    if (!r.ok) throw new Error(r.error);
    expect(r.packet.header.marker).toBe(true);
    expect(r.packet.header.sequenceNumber).toBe(4242);
    expect(r.packet.header.timestamp).toBe(123456789);
    expect(r.packet.header.extensions).toEqual([]);
    expect(r.packet.header.csrc).toEqual([]);
    expect(r.packet.payload.toString()).toBe('opus');
  });

  const badPadding = rtp({ padding: 2 });
  badPadding[badPadding.length - 1] = 200;
  const longExt = rtp({ extWords: 1 });
  longExt.writeUInt16BE(50, 14);
  it.each([
    ['shorter than 12 bytes', Buffer.alloc(11), /shorter than 12/],
    ['version 1', Buffer.from([0x40, ...rtp().subarray(1)]), /version 1/],
    ['CSRC list overrun', rtp({ csrc: 15 }).subarray(0, 20), /CSRC list/],
    ['extension length overrun', longExt, /extension overruns/],
    ['padding larger than the payload', badPadding, /padding 200/],
    ['no payload', rtp({ payload: Buffer.alloc(0) }), /without payload/],
  ])('refuses %s', (_name, buf, error) => {
    const r = toOutboundPacket(buf);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});

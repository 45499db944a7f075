import { describe, expect, it } from 'vitest';
import {
  RtpDecodeError, RtpPacket, parseHeaderExtensions, serializeHeaderExtensions, looksLikeRtcp,
  ONE_BYTE_PROFILE,
} from '../../rtp/index.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 3550 5.1 minimal packet: V=2, PT 0, seq 0x1234, ts 100, SSRC 0xdeadbeef, 3 payload bytes.
const MINIMAL = hex('80 00 1234 00000064 deadbeef 010203');
// V=2 P=1 X=1 CC=1, M=1 PT=96, seq 1, ts 2, SSRC 0x11223344, CSRC 0x55667788,
// RFC 8285 one-byte extension (id 1, 2 bytes AA BB, one padding byte), payload CA FE, 2 padding octets.
const FULL = hex('b1 e0 0001 00000002 11223344 55667788 bede0001 11aabb00 cafe 0002');

describe('RtpPacket (RFC 3550 5.1)', () => {
  it('decodes the fixed header and a payload view', () => {
    const p = RtpPacket.decode(MINIMAL);
    expect(p).toMatchObject({ marker: false, payloadType: 0, sequenceNumber: 0x1234, timestamp: 100, ssrc: 0xdeadbeef, padding: 0 });
    expect(p.csrcs).toEqual([]);
    expect(p.payload).toEqual(hex('010203'));
    expect(p.payload.buffer).toBe(MINIMAL.buffer); // a view, not a copy
  });

  it('round-trips the minimal packet byte for byte', () => {
    expect(RtpPacket.decode(MINIMAL).encode()).toEqual(MINIMAL);
    expect(RtpPacket.decode(MINIMAL).encodedSize()).toBe(MINIMAL.length);
  });

  it('decodes CSRCs, marker, header extension (RFC 8285 one-byte) and strips padding', () => {
    const p = RtpPacket.decode(FULL);
    expect(p.marker).toBe(true);
    expect(p.payloadType).toBe(96);
    expect(p.csrcs).toEqual([0x55667788]);
    expect(p.headerExtension?.profile).toBe(ONE_BYTE_PROFILE);
    expect(p.extensions()).toEqual([{ id: 1, data: hex('aabb') }]);
    expect(p.payload).toEqual(hex('cafe'));
    expect(p.padding).toBe(2);
  });

  it('round-trips the full packet byte for byte', () => {
    expect(RtpPacket.decode(FULL).encode()).toEqual(FULL);
  });

  it.each([
    ['empty', '', 'ERR_RTP_TOO_SHORT'],
    ['11 bytes', '800012340000006400000001'.slice(0, 22), 'ERR_RTP_TOO_SHORT'],
    ['version 1', '40001234 00000064 deadbeef', 'ERR_RTP_BAD_VERSION'],
    ['version 0 (STUN-like)', '00011234 00000064 deadbeef', 'ERR_RTP_BAD_VERSION'],
    ['CC=2 without CSRCs', '82001234 00000064 deadbeef 00000001', 'ERR_RTP_TOO_SHORT'],
    ['X without extension header', '90001234 00000064 deadbeef bede', 'ERR_RTP_BAD_EXTENSION'],
    ['extension length overruns', '90001234 00000064 deadbeef bede0002 11aabb00', 'ERR_RTP_BAD_EXTENSION'],
    ['padding count 0', 'a0001234 00000064 deadbeef 0100', 'ERR_RTP_BAD_PADDING'],
    ['padding beyond payload', 'a0001234 00000064 deadbeef 0105', 'ERR_RTP_BAD_PADDING'],
  ])('rejects %s with %s', (_name, bytes, code) => {
    expect(() => RtpPacket.decode(hex(bytes))).toThrowError(expect.objectContaining({ code }));
  });

  it('throws only RtpDecodeError on random and mutated input (fuzz)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    let decoded = 0;
    for (let i = 0; i < 20000; i++) {
      const base = i % 2 === 0 ? FULL : MINIMAL;
      const b = Buffer.from(base.subarray(0, rnd() % (base.length + 1)));
      for (let k = 0; k < 3 && b.length > 0; k++) b[rnd() % b.length] = rnd();
      try {
        const p = RtpPacket.decode(b);
        p.extensions();
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(RtpDecodeError);
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});

describe('RTP header extensions (RFC 8285)', () => {
  it('one-byte form: skips padding bytes, stops at ID 15', () => {
    const els = parseHeaderExtensions(0xbede, hex('00 21aabb 00 30ee f0ff'));
    expect(els).toEqual([{ id: 2, data: hex('aabb') }, { id: 3, data: hex('ee') }]);
  });

  it('two-byte form: zero-length element and padding', () => {
    const els = parseHeaderExtensions(0x1000, hex('0500 00 0702abcd'));
    expect(els).toEqual([{ id: 5, data: Buffer.alloc(0) }, { id: 7, data: hex('abcd') }]);
  });

  it('rejects an element that overruns the block', () => {
    expect(() => parseHeaderExtensions(0xbede, hex('13aabb00'))).toThrowError(expect.objectContaining({ code: 'ERR_RTP_BAD_EXTENSION' }));
    expect(() => parseHeaderExtensions(0x1000, hex('0705abcd'))).toThrowError(expect.objectContaining({ code: 'ERR_RTP_BAD_EXTENSION' }));
  });

  it('serialises in the one-byte form when it can and round-trips', () => {
    const { profile, body } = serializeHeaderExtensions([{ id: 1, data: hex('aabb') }]);
    expect(profile).toBe(0xbede);
    expect(body).toEqual(hex('11aabb00'));
    const two = serializeHeaderExtensions([{ id: 20, data: hex('01') }]);
    expect(two.profile).toBe(0x1000);
    expect(parseHeaderExtensions(two.profile, two.body)).toEqual([{ id: 20, data: hex('01') }]);
  });
});

describe('RFC 5761 4 demultiplexing', () => {
  it('classifies PT 64-95 in the second octet as RTCP', () => {
    expect(looksLikeRtcp(hex('80c80006'))).toBe(true); // SR
    expect(looksLikeRtcp(hex('81ce0002'))).toBe(true); // PLI
    expect(looksLikeRtcp(MINIMAL)).toBe(false);
    expect(looksLikeRtcp(hex('80e0'))).toBe(false); // M=1 PT 96
  });
});

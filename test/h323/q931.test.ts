// Q.931 (H.225.0 call signalling) and TPKT framing: byte layout from the standards, round trips,
// and tshark's Q.931 dissector as an independent reader of what the project encodes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bearerCapabilityIe, calledPartyNumberIe, callingPartyNumberIe, callStateIe, causeIe, decodeQ931, displayIe, encodeQ931,
  encodeTpkt, findIe, IeId, keypadIe, MessageType, parseBearerCapability, parseCalledPartyNumber, parseCause, parseDisplay,
  parseKeypad, parseUserUser, progressIndicatorIe, Q931Error, TpktError, TpktReader, userUserIe, VIDEO_BEARER, type Q931Message,
} from '../../h323/q931/index.ts';

function setup(): Q931Message {
  return {
    callReference: 0x1234,
    fromDestination: false,
    type: MessageType.setup,
    ies: [
      bearerCapabilityIe(VIDEO_BEARER),
      displayIe('Room 7'),
      calledPartyNumberIe({ digits: '4321', typeOfNumber: 0, numberingPlan: 1 }),
      callingPartyNumberIe({ digits: '1001' }),
    ],
  };
}

describe('Q.931 messages (Q.931 4, H.225.0 7.2)', () => {
  it('encodes the header, call reference flag and IEs in ascending identifier order', () => {
    const bytes = encodeQ931(setup());
    // 08 = Q.931; 02 = call reference length; 12 34 = reference (flag 0); 05 = SETUP
    expect([...bytes.subarray(0, 5)]).toEqual([0x08, 0x02, 0x12, 0x34, 0x05]);
    // bearer capability: unrestricted digital (0x08), 384 kbit/s circuit (0x13), layer 1 H.221/H.242 (0x25)
    expect([...bytes.subarray(5, 10)]).toEqual([0x04, 0x03, 0x88, 0x93, 0xa5]);
    const ids = decodeQ931(bytes).ies.map((ie) => ie.id);
    expect(ids).toEqual([IeId.bearerCapability, IeId.display, IeId.callingPartyNumber, IeId.calledPartyNumber]);
  });

  it('round-trips every field; the flag marks messages from the destination side', () => {
    const answer: Q931Message = { ...setup(), fromDestination: true, type: MessageType.connect };
    const back = decodeQ931(encodeQ931(answer));
    expect(back.callReference).toBe(0x1234);
    expect(back.fromDestination).toBe(true);
    expect(back.type).toBe(MessageType.connect);
    expect(parseBearerCapability(findIe(back, IeId.bearerCapability)!)).toEqual(VIDEO_BEARER);
    expect(parseCalledPartyNumber(findIe(back, IeId.calledPartyNumber)!)).toEqual({ digits: '4321', typeOfNumber: 0, numberingPlan: 1 });
    expect(parseDisplay(findIe(back, IeId.display)!)).toBe('Room 7');
  });

  it('user-user carries a 2-octet length and protocol discriminator 5 (H.225.0)', () => {
    const per = Buffer.alloc(300, 0x5a);
    const bytes = encodeQ931({ callReference: 1, fromDestination: false, type: MessageType.facility, ies: [userUserIe(per)] });
    expect([...bytes.subarray(5, 9)]).toEqual([0x7e, 0x01, 0x2d, 0x05]); // 0x012d = 301 octets
    expect(parseUserUser(findIe(decodeQ931(bytes), IeId.userUser)!).equals(per)).toBe(true);
  });

  it('cause, keypad, progress and call state IEs', () => {
    const msg = decodeQ931(encodeQ931({
      callReference: 7, fromDestination: true, type: MessageType.status,
      ies: [causeIe({ value: 16, location: 1 }), keypadIe('12#'), progressIndicatorIe(8), callStateIe(10), { id: 0xa1, data: Buffer.alloc(0) }],
    }));
    expect(parseCause(findIe(msg, IeId.cause)!)).toEqual({ value: 16, location: 1 });
    expect(parseKeypad(findIe(msg, IeId.keypadFacility)!)).toBe('12#');
    expect(findIe(msg, IeId.sendingComplete)).toBeDefined();
  });

  it('rejects malformed input with Q931Error and a Q.850 cause', () => {
    const good = encodeQ931(setup());
    const cases: [Buffer, number][] = [
      [Buffer.from([0x08, 0x02, 0, 1]), 95], // too short
      [Buffer.from([0x09, 0x02, 0, 1, 5]), 95], // not Q.931
      [Buffer.from([0x08, 0x01, 1, 5, 0x04]), 81], // 1-octet call reference
      [good.subarray(0, good.length - 2), 100], // last IE truncated
    ];
    for (const [bytes, cause] of cases) {
      let error: unknown;
      try {
        decodeQ931(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Q931Error);
      expect((error as Q931Error).q850Cause).toBe(cause);
    }
  });
});

describe('TPKT (RFC 1006 6)', () => {
  it('frames and reassembles packets split and coalesced arbitrarily', () => {
    const payloads = [Buffer.from('one'), Buffer.alloc(3000, 1), Buffer.from('three')];
    const stream = Buffer.concat(payloads.map(encodeTpkt));
    expect([...stream.subarray(0, 4)]).toEqual([3, 0, 0, 7]);
    const reader = new TpktReader();
    const got: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 7) got.push(...reader.push(stream.subarray(at, at + 7)));
    expect(got).toEqual(payloads);
    expect(reader.pendingBytes).toBe(0);
  });

  it('a wrong version or impossible length loses framing for good', () => {
    const r = new TpktReader();
    expect(() => r.push(Buffer.from([4, 0, 0, 8, 1, 2, 3, 4]))).toThrow(TpktError);
    expect(() => r.push(encodeTpkt(Buffer.from('x')))).toThrow(TpktError);
    expect(() => new TpktReader().push(Buffer.from([3, 0, 0, 2]))).toThrow(TpktError);
  });
});

describe('tshark reads what the project encodes', () => {
  it('Q.931 Setup, ReleaseComplete and Status over TPKT on port 1720 decode without expert warnings', () => {
    const messages = [
      encodeQ931(setup()),
      encodeQ931({ callReference: 0x1234, fromDestination: true, type: MessageType.releaseComplete, ies: [causeIe({ value: 16 })] }),
      encodeQ931({ callReference: 0x1234, fromDestination: true, type: MessageType.status, ies: [causeIe({ value: 30 }), callStateIe(10)] }),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'roomgate-q931-'));
    try {
      // text2pcap: one hex dump per packet, offsets per line (TCP 40000 → 1720)
      const hex = messages.map((m) => hexdump(encodeTpkt(m))).join('\n');
      writeFileSync(join(dir, 'in.txt'), hex);
      const t2p = spawnSync('text2pcap', ['-q', '-4', '127.0.0.1,127.0.0.2', '-T', '40000,1720', join(dir, 'in.txt'), join(dir, 'out.pcap')], { encoding: 'utf8' });
      expect(t2p.status, t2p.stderr).toBe(0);
      const out = spawnSync('tshark', ['-r', join(dir, 'out.pcap'), '-T', 'fields', '-E', 'separator=|', '-e', 'q931.message_type', '-e', 'q931.cause_value', '-e', 'q931.called_party_number.digits', '-e', '_ws.expert.severity'], { encoding: 'utf8' });
      expect(out.status, out.stderr).toBe(0);
      const rows = out.stdout.trim().split('\n').map((l) => l.split('|'));
      expect(rows.map((r) => Number(r[0]))).toEqual([MessageType.setup, MessageType.releaseComplete, MessageType.status]);
      expect(rows[0]![2]).toBe('4321');
      expect(rows[1]![1]).toBe('16');
      expect(rows[2]![1]).toBe('30');
      for (const r of rows) expect(r[3] ?? '', `expert info on ${r[0]}`).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function hexdump(buf: Buffer): string {
  const lines: string[] = [];
  for (let at = 0; at < buf.length; at += 16) {
    lines.push(`${at.toString(16).padStart(6, '0')} ${[...buf.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

// Issue #5 acceptance 6 (Q.931 half): a million truncated, random and mutated Q.931/TPKT inputs
// never make the decoders throw anything but their own errors (which the call layer answers
// with ReleaseComplete/Status), and never hang.
import { describe, expect, it } from 'vitest';
import {
  bearerCapabilityIe, calledPartyNumberIe, causeIe, decodeQ931, displayIe, encodeQ931, encodeTpkt, MessageType,
  parseBearerCapability, parseCause, parseCalledPartyNumber, parseDisplay, Q931Error, TpktError, TpktReader, userUserIe,
  VIDEO_BEARER, type InformationElement,
} from '../../h323/q931/index.ts';

/** xorshift32: a seeded, reproducible sequence. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const seeds = [
  encodeQ931({ callReference: 0x1234, fromDestination: false, type: MessageType.setup, ies: [bearerCapabilityIe(VIDEO_BEARER), displayIe('Room'), calledPartyNumberIe({ digits: '100' }), userUserIe(Buffer.alloc(40, 0x22))] }),
  encodeQ931({ callReference: 1, fromDestination: true, type: MessageType.releaseComplete, ies: [causeIe({ value: 16 }), userUserIe(Buffer.alloc(8, 1))] }),
  encodeQ931({ callReference: 77, fromDestination: true, type: MessageType.connect, ies: [userUserIe(Buffer.alloc(200, 3))] }),
];

/** Reads every IE the call layer reads, the way it reads them. */
function consume(bytes: Buffer): void {
  const msg = decodeQ931(bytes);
  for (const ie of msg.ies as InformationElement[]) {
    if (ie.id === 0x04) parseBearerCapability(ie);
    else if (ie.id === 0x08) parseCause(ie);
    else if (ie.id === 0x70) parseCalledPartyNumber(ie);
    else if (ie.id === 0x28) parseDisplay(ie);
  }
}

describe('Q.931/TPKT fuzz', () => {
  it('1,000,000 inputs: only Q931Error/TpktError, never another exception', () => {
    const rand = prng(0x5eed);
    let rejected = 0;
    let accepted = 0;
    const N = 1_000_000;
    for (let i = 0; i < N; i++) {
      const kind = i % 3;
      let input: Buffer;
      if (kind === 0) {
        input = Buffer.allocUnsafe(rand() % 64);
        for (let j = 0; j < input.length; j++) input[j] = rand() & 0xff;
        if (input.length > 0 && rand() % 2) input[0] = 0x08; // get past the discriminator often
      } else {
        const seed = seeds[rand() % seeds.length]!;
        input = Buffer.from(seed.subarray(0, kind === 1 ? rand() % (seed.length + 1) : seed.length));
        if (kind === 2) for (let m = 1 + (rand() % 4); m > 0; m--) input[rand() % input.length] = rand() & 0xff;
      }
      try {
        consume(input);
        accepted++;
      } catch (err) {
        if (!(err instanceof Q931Error)) throw new Error(`input ${input.toString('hex')} threw ${String(err)}`);
        rejected++;
      }
      if (i % 10 === 0) {
        const reader = new TpktReader();
        try {
          for (let at = 0; at < input.length; at += 5) reader.push(input.subarray(at, at + 5));
          reader.push(encodeTpkt(input));
        } catch (err) {
          if (!(err instanceof TpktError)) throw err;
        }
      }
    }
    console.log(`Q.931 fuzz: ${N} inputs, ${rejected} rejected with Q931Error, ${accepted} accepted`);
    expect(rejected + accepted).toBe(N);
    expect(rejected).toBeGreaterThan(N / 10);
    expect(accepted).toBeGreaterThan(N / 10);
  });
});

// Fuzz target for the PER decoder: truncated, random and mutated inputs for the three
// top-level PDUs. The only acceptable failure is PerDecodeError; anything else (RangeError,
// TypeError, stack overflow, hang, or a PerDecodeError flagged internal) fails the test.
import { describe, expect, it } from 'vitest';
import { h323Codec, PerDecodeError } from '../../h323/asn1/index.ts';
import { allVectors } from './asn1-vectors.ts';
import { RandomValues, seededRandom } from './random-values.ts';

const PDUS = ['RasMessage', 'H323-UserInformation', 'MultimediaSystemControlMessage'] as const;
const INPUTS = 1_000_000;

describe('PER decoder fuzz', () => {
  it(`survives ${INPUTS} truncated, random and mutated inputs with only PerDecodeError`, () => {
    const codec = h323Codec();
    const rnd = seededRandom(0x5eed);
    const int = (n: number) => Math.floor(rnd() * n);
    // Seeds: the cross-check vectors (small ones) and random valid values of each PDU.
    const seeds = PDUS.map((pdu, k) => {
      const gen = new RandomValues(codec.schema, seededRandom(100 + k), 4);
      const own = allVectors().filter((v) => v.type === pdu && !v.name.includes('40000')).map((v) => codec.encode(pdu, v.value));
      const random = Array.from({ length: 150 }, () => codec.encode(pdu, gen.value(codec.typeRef(pdu))));
      return [...own, ...random];
    });
    const counts = { truncated: 0, random: 0, mutated: 0 };
    let rejected = 0;
    const unexpected: string[] = [];
    for (let i = 0; i < INPUTS; i++) {
      const p = i % PDUS.length;
      const pool = seeds[p]!;
      const seed = pool[int(pool.length)]!;
      let input: Uint8Array;
      const mode = i % 10;
      if (mode < 3) { // a valid encoding cut short
        input = seed.subarray(0, int(seed.length));
        counts.truncated++;
      } else if (mode < 5) { // noise
        input = new Uint8Array(int(48)).map(() => int(256));
        counts.random++;
      } else { // a valid encoding with flipped bits, overwritten octets, or an octet inserted/removed
        input = seed.slice();
        const edits = 1 + int(4);
        for (let e = 0; e < edits && input.length > 0; e++) {
          const at = int(input.length);
          const kind = int(4);
          if (kind === 0) input[at]! ^= 1 << int(8);
          else if (kind === 1) input[at] = int(256);
          else if (kind === 2) input = insertOctet(input, at, int(256));
          else input = removeOctet(input, at);
        }
        counts.mutated++;
      }
      try {
        codec.decode(PDUS[p]!, input);
      } catch (e) {
        if (e instanceof PerDecodeError && !e.internal) rejected++;
        else if (unexpected.length < 5) unexpected.push(`${PDUS[p]} ${Buffer.from(input).toString('hex')}: ${String(e)}`);
      }
    }
    console.log(`PER fuzz: ${INPUTS} inputs, ${rejected} rejected `
      + `(${counts.truncated} truncated, ${counts.random} random, ${counts.mutated} mutated)`);
    expect(unexpected).toEqual([]);
    // Some mutations land on other valid encodings, most do not: both paths were exercised.
    expect(rejected).toBeGreaterThan(INPUTS / 4);
    expect(rejected).toBeLessThan(INPUTS);
  }, 600_000);
});

function insertOctet(b: Uint8Array, at: number, v: number): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out.set(b.subarray(0, at));
  out[at] = v;
  out.set(b.subarray(at), at + 1);
  return out;
}

function removeOctet(b: Uint8Array, at: number): Uint8Array {
  const out = new Uint8Array(b.length - 1);
  out.set(b.subarray(0, at));
  out.set(b.subarray(at + 1), at);
  return out;
}

// Decoders accept longer or shorter extension bitmaps and skip unknown extension additions:
// peers run older and newer versions of H.225.0 and H.245 (X.691 19.8-19.9, 23.8, 14.3).
import { describe, expect, it } from 'vitest';
import { PerCodec, h323Schema, type AsnType } from '../../h323/asn1/index.ts';
import { RandomValues, seededRandom } from './random-values.ts';
import { newerSchema, olderSchema, projectValue } from './schema-versions.ts';

const current = h323Schema();
const older = olderSchema(current);
const newer = newerSchema(current);
const codecs = { current: new PerCodec(current), older: new PerCodec(older), newer: new PerCodec(newer) };
const PDUS = ['RasMessage', 'H323-UserInformation', 'MultimediaSystemControlMessage'];
const N = 150;

describe('extension tolerance across schema versions', () => {
  for (const [k, pdu] of PDUS.entries()) {
    const type = codecs.current.typeRef(pdu);

    it(`${pdu}: a newer peer's additions, alternatives and values are skipped or kept opaque`, () => {
      const gen = new RandomValues(newer, seededRandom(10 + k), 5);
      let unknownSeen = 0;
      for (let i = 0; i < N; i++) {
        const value = gen.value(type);
        const bytes = codecs.newer.encode(pdu, value);
        const decoded = codecs.current.decode(pdu, bytes);
        expect(decoded).toEqual(projectValue(newer, current, type, value));
        if (JSON.stringify(value).includes('"future')) unknownSeen++;
        // What we could not read is passed on unchanged where it is a CHOICE alternative.
        expect(codecs.current.decode(pdu, codecs.current.encode(pdu, decoded))).toEqual(decoded);
      }
      expect(unknownSeen).toBeGreaterThan(N / 4);
    });

    it(`${pdu}: an older peer's shorter bitmaps leave the later additions absent`, () => {
      const gen = new RandomValues(older, seededRandom(20 + k), 5);
      for (let i = 0; i < N; i++) {
        const value = gen.value(type);
        expect(codecs.current.decode(pdu, codecs.older.encode(pdu, value))).toEqual(value);
      }
    });

    it(`${pdu}: an older peer reads our longer bitmaps`, () => {
      const gen = new RandomValues(current, seededRandom(30 + k), 5);
      for (let i = 0; i < N; i++) {
        const value = gen.value(type as AsnType);
        expect(codecs.older.decode(pdu, codecs.current.encode(pdu, value))).toEqual(projectValue(current, older, type, value));
      }
    });
  }
});

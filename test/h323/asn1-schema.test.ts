// The committed schema is what the converter makes of the committed ITU-T module texts, and
// the converter reduces the ASN.1 it meets to the PER-visible constraints of X.691 9.3.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertModules } from '../../h323/asn1/converter/convert.ts';
import { GENERATED_FILE, generateSchemaJson } from '../../h323/asn1/converter/generate.ts';

describe('generated schema', () => {
  it('regenerating from h323/asn1/modules/*.asn gives the committed h323-schema.json', () => {
    expect(generateSchemaJson() === readFileSync(GENERATED_FILE, 'utf8')).toBe(true);
  });

  it('holds the three top-level PDUs and resolves every reference', () => {
    const schema = JSON.parse(readFileSync(GENERATED_FILE, 'utf8'));
    expect(schema.types['H323-MESSAGES.RasMessage'].kind).toBe('choice');
    expect(schema.types['H323-MESSAGES.H323-UserInformation'].kind).toBe('sequence');
    expect(schema.types['MULTIMEDIA-SYSTEM-CONTROL.MultimediaSystemControlMessage'].kind).toBe('choice');
    const refs = JSON.stringify(schema).match(/"ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(500);
    for (const r of new Set(refs)) expect(schema.types[r.slice(7, -1)], r).toBeDefined();
  });
});

describe('converter', () => {
  const schema = convertModules([`
    A-MOD DEFINITIONS AUTOMATIC TAGS ::= BEGIN
    Small ::= INTEGER (0..7, ...)
    Digits ::= IA5String (SIZE (1..4)) (FROM ("0123456789"))
    Key ::= IA5String (SIZE (1) ^ FROM ("*#"))
    Ranked ::= ENUMERATED { low (2), high (0), mid, ... , extra }
    Wrap { T } ::= SEQUENCE { inner T, n INTEGER (1..MAX) }
    Open ::= TYPE-IDENTIFIER.&Type (Small)
    Msg ::= SEQUENCE {
      a Small, -- comment -- b Digits OPTIONAL,
      c SEQUENCE SIZE (0..3) OF Wrap { BOOLEAN },
      ...,
      d BIT STRING (SIZE (8..16, ...)) OPTIONAL
    } (WITH COMPONENTS { ..., b PRESENT })
    Alt ::= CHOICE { x NULL, y Small (2..3), ... }
    END`]);
  const t = schema.types;

  it('keeps value ranges with their extension marker', () => {
    expect(t['A-MOD.Small']).toEqual({ kind: 'integer', lb: 0, ub: 7, ext: true });
  });
  it('combines serial SIZE and FROM constraints, and intersections', () => {
    expect(t['A-MOD.Digits']).toEqual({ kind: 'string', stringType: 'IA5String', size: { lb: 1, ub: 4 }, alphabet: '0123456789' });
    expect(t['A-MOD.Key']).toEqual({ kind: 'string', stringType: 'IA5String', size: { lb: 1, ub: 1 }, alphabet: '#*' });
  });
  it('orders numbered enumerations by value (X.680 20)', () => {
    expect(t['A-MOD.Ranked']).toEqual({ kind: 'enumerated', root: ['high', 'mid', 'low'], ext: ['extra'] });
  });
  it('instantiates parameterized types, keeps extension additions apart, ignores WITH COMPONENTS', () => {
    expect(t['A-MOD.Msg']).toEqual({
      kind: 'sequence',
      root: [
        { name: 'a', type: { kind: 'ref', ref: 'A-MOD.Small' } },
        { name: 'b', type: { kind: 'ref', ref: 'A-MOD.Digits' }, optional: true },
        { name: 'c', type: { kind: 'sequenceOf', size: { lb: 0, ub: 3 }, item: {
          kind: 'sequence', root: [{ name: 'inner', type: { kind: 'boolean' } }, { name: 'n', type: { kind: 'integer', lb: 1 } }],
        } } },
      ],
      ext: [{ name: 'd', type: { kind: 'bitString', size: { lb: 8, ub: 16, ext: true } }, optional: true }],
    });
    expect(t['A-MOD.Wrap']).toBeUndefined();
  });
  it('makes TYPE-IDENTIFIER.&Type (T) an open type carrying T; constrains references inline (the last constraint decides extensibility)', () => {
    expect(t['A-MOD.Open']).toEqual({ kind: 'open', inner: { kind: 'ref', ref: 'A-MOD.Small' } });
    expect(t['A-MOD.Alt']).toEqual({
      kind: 'choice', root: [{ name: 'x', type: { kind: 'null' } }, { name: 'y', type: { kind: 'integer', lb: 2, ub: 3 } }], ext: [],
    });
  });
  it('reports unresolved references and unsupported syntax with a line', () => {
    expect(() => convertModules(['B DEFINITIONS ::= BEGIN X ::= Missing END'])).toThrow(/unresolved reference Missing/);
    expect(() => convertModules(['B DEFINITIONS ::= BEGIN\n X ::= SEQUENCE { a INTEGER DEFAULT 1 } END'])).toThrow(/line 2: DEFAULT/);
  });
});

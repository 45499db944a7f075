// Older and newer variants of the H.323 schema, to exercise version tolerance: an older peer
// knows only the first half of each extension list, a newer one knows one more addition in
// every extensible SEQUENCE, one more alternative in every extensible CHOICE and one more
// value in every extensible ENUMERATED.
import { PerEncoder } from '../../h323/asn1/per/encoder.ts';
import { UNKNOWN_ALTERNATIVE, UNKNOWN_ENUM, type ChoiceValue } from '../../h323/asn1/per/values.ts';
import type { AsnType, Schema } from '../../h323/asn1/schema.ts';

function mapTypes(schema: Schema, f: (t: AsnType) => void): Schema {
  const copy = structuredClone(schema) as Schema;
  const visit = (t: AsnType): void => {
    f(t);
    switch (t.kind) {
      case 'sequence': case 'set': case 'choice':
        for (const c of [...t.root, ...(t.ext ?? [])]) visit(c.type);
        break;
      case 'sequenceOf': case 'setOf': visit(t.item); break;
      case 'open': if (t.inner) visit(t.inner); break;
      default: break;
    }
  };
  for (const t of Object.values(copy.types)) visit(t);
  return copy;
}

export function olderSchema(schema: Schema): Schema {
  return mapTypes(schema, (t) => {
    if ((t.kind === 'sequence' || t.kind === 'set' || t.kind === 'choice') && t.ext) t.ext = t.ext.slice(0, t.ext.length >> 1);
    if (t.kind === 'enumerated' && t.ext) t.ext = t.ext.slice(0, t.ext.length >> 1);
  });
}

export function newerSchema(schema: Schema): Schema {
  return mapTypes(schema, (t) => {
    if ((t.kind === 'sequence' || t.kind === 'set') && t.ext) {
      t.ext.push({ name: 'futureAddition', type: { kind: 'integer', lb: 0, ub: 1000 }, optional: true });
    }
    if (t.kind === 'choice' && t.ext) t.ext.push({ name: 'futureAlternative', type: { kind: 'octetString', size: { lb: 1, ub: 8 } } });
    if (t.kind === 'enumerated' && t.ext) t.ext.push('futureValue');
  });
}

/**
 * What a peer with schema `to` should decode from a value of schema `from`: additions it does not
 * know vanish, alternatives it does not know become { type: UNKNOWN_ALTERNATIVE, index, octets },
 * enumeration values it does not know become `${UNKNOWN_ENUM}${index}`.
 */
export function projectValue(from: Schema, to: Schema, type: AsnType, v: unknown): unknown {
  const encoder = new PerEncoder(from);
  const project = (ft: AsnType, tt: AsnType, val: unknown): unknown => {
    while (ft.kind === 'ref') ft = from.types[ft.ref]!;
    while (tt.kind === 'ref') tt = to.types[tt.ref]!;
    if ((ft.kind === 'sequence' || ft.kind === 'set') && (tt.kind === 'sequence' || tt.kind === 'set')) {
      const src = val as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      const fromComps = [...ft.root, ...(ft.ext ?? [])];
      for (const c of [...tt.root, ...(tt.ext ?? [])]) {
        if (src[c.name] === undefined) continue;
        out[c.name] = project(fromComps.find((x) => x.name === c.name)!.type, c.type, src[c.name]);
      }
      return out;
    }
    if (ft.kind === 'choice' && tt.kind === 'choice') {
      const cv = val as ChoiceValue;
      const known = [...tt.root, ...(tt.ext ?? [])].find((a) => a.name === cv.type);
      const fromAlt = [...ft.root, ...(ft.ext ?? [])].find((a) => a.name === cv.type)!;
      if (known) return { type: cv.type, value: project(fromAlt.type, known.type, cv.value) };
      const index = ft.ext!.indexOf(fromAlt);
      return { type: UNKNOWN_ALTERNATIVE, index, value: encoder.encode(fromAlt.type, cv.value) };
    }
    if (ft.kind === 'enumerated' && tt.kind === 'enumerated') {
      const name = val as string;
      if (tt.root.includes(name) || tt.ext?.includes(name)) return name;
      return `${UNKNOWN_ENUM}${ft.ext!.indexOf(name)}`;
    }
    if ((ft.kind === 'sequenceOf' || ft.kind === 'setOf') && (tt.kind === 'sequenceOf' || tt.kind === 'setOf')) {
      return (val as unknown[]).map((x) => project(ft.item, tt.item, x));
    }
    if (ft.kind === 'open' && tt.kind === 'open' && ft.inner && tt.inner) return project(ft.inner, tt.inner, val);
    return val;
  };
  return project(type, type, v);
}

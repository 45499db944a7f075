// Schema-driven mapping between this codec's JavaScript values and the values of Erlang's asn1
// `+maps` codecs: SEQUENCE/SET ⇄ map with atom keys (absent OPTIONAL = no key), CHOICE ⇄
// {Alternative, Value}, ENUMERATED ⇄ atom, NULL ⇄ 'NULL', BIT STRING ⇄ bitstring,
// OCTET STRING ⇄ binary, character strings ⇄ list of character codes, OID ⇄ tuple of arcs.
import type { AsnType, Schema } from '../../../h323/asn1/schema.ts';
import type { BitStringValue, ChoiceValue } from '../../../h323/asn1/per/values.ts';
import { atomText, type Term } from './term.ts';

export class ErlangValueMapping {
  constructor(private readonly schema: Schema) {}

  private resolve(t: AsnType): AsnType {
    while (t.kind === 'ref') t = this.schema.types[t.ref]!;
    return t;
  }

  /** Term text accepted by erl_parse:parse_term for the JavaScript value `v` of type `type`. */
  toErlang(type: AsnType, v: unknown): string {
    const t = this.resolve(type);
    switch (t.kind) {
      case 'ref':
        throw new Error('unresolved');
      case 'boolean':
        return v ? 'true' : 'false';
      case 'null':
        return "'NULL'";
      case 'integer':
        return String(v);
      case 'enumerated':
        return atomText(v as string);
      case 'bitString': {
        const bs = v as BitStringValue;
        const whole = bs.length >>> 3;
        const parts = [...bs.data.subarray(0, whole)].map(String);
        const rest = bs.length & 7;
        if (rest) parts.push(`${(bs.data[whole] ?? 0) >>> (8 - rest)}:${rest}`);
        return `<<${parts.join(',')}>>`;
      }
      case 'octetString':
        return `<<${[...(v as Uint8Array)].join(',')}>>`;
      case 'string':
      case 'otherString':
        // Erlang writes characters above 255 as {Group, Plane, Row, Cell} quadruples.
        return `[${[...(v as string)].map((ch) => {
          const c = ch.charCodeAt(0);
          return c > 255 ? `{0,0,${c >> 8},${c & 255}}` : String(c);
        }).join(',')}]`;
      case 'objectIdentifier':
        return `{${(v as number[]).join(',')}}`;
      case 'sequence':
      case 'set': {
        const obj = v as Record<string, unknown>;
        const entries = [...t.root, ...(t.ext ?? [])]
          .filter((c) => obj[c.name] !== undefined)
          .map((c) => `${atomText(c.name)}=>${this.toErlang(c.type, obj[c.name])}`);
        return `#{${entries.join(',')}}`;
      }
      case 'choice': {
        const cv = v as ChoiceValue;
        const alt = [...t.root, ...(t.ext ?? [])].find((a) => a.name === cv.type);
        if (!alt) throw new Error(`no alternative ${cv.type}`);
        return `{${atomText(cv.type)},${this.toErlang(alt.type, cv.value)}}`;
      }
      case 'sequenceOf':
      case 'setOf':
        return `[${(v as unknown[]).map((x) => this.toErlang(t.item, x)).join(',')}]`;
      case 'open':
        return t.inner ? this.toErlang(t.inner, v) : `<<${[...(v as Uint8Array)].join(',')}>>`;
    }
  }

  /** The JavaScript value of type `type` for an Erlang term printed by `~w`. */
  fromErlang(type: AsnType, term: Term): unknown {
    const t = this.resolve(type);
    const bad = (): never => {
      throw new Error(`Erlang term ${JSON.stringify(term).slice(0, 120)} does not fit ${t.kind}`);
    };
    switch (t.kind) {
      case 'ref':
        return bad();
      case 'boolean':
        return term.t === 'atom' && (term.v === 'true' || term.v === 'false') ? term.v === 'true' : bad();
      case 'null':
        return term.t === 'atom' && term.v === 'NULL' ? null : bad();
      case 'integer':
        return term.t === 'int' ? term.v : bad();
      case 'enumerated':
        return term.t === 'atom' ? term.v : bad();
      case 'bitString': {
        if (term.t !== 'bits') return bad();
        const data = Uint8Array.from(term.tailBits ? [...term.bytes, (term.tail << (8 - term.tailBits)) & 0xff] : term.bytes);
        return { data, length: term.bytes.length * 8 + term.tailBits };
      }
      case 'octetString':
        return term.t === 'bits' && term.tailBits === 0 ? Uint8Array.from(term.bytes) : bad();
      case 'string':
      case 'otherString':
        return term.t === 'list' ? String.fromCharCode(...term.items.map((c) => charCode(c) ?? bad())) : bad();
      case 'objectIdentifier':
        return term.t === 'tuple' ? term.items.map((c) => (c.t === 'int' ? c.v : bad())) : bad();
      case 'sequence':
      case 'set': {
        if (term.t !== 'map') return bad();
        const out: Record<string, unknown> = {};
        const comps = [...t.root, ...(t.ext ?? [])];
        for (const [k, val] of term.entries) {
          const c = comps.find((x) => k.t === 'atom' && x.name === k.v);
          if (!c) return bad();
          out[c.name] = this.fromErlang(c.type, val);
        }
        return out;
      }
      case 'choice': {
        if (term.t !== 'tuple' || term.items.length !== 2 || term.items[0]!.t !== 'atom') return bad();
        const name = (term.items[0] as { v: string }).v;
        const alt = [...t.root, ...(t.ext ?? [])].find((a) => a.name === name);
        if (!alt) return bad();
        return { type: name, value: this.fromErlang(alt.type, term.items[1]!) };
      }
      case 'sequenceOf':
      case 'setOf':
        return term.t === 'list' ? term.items.map((x) => this.fromErlang(t.item, x)) : bad();
      case 'open':
        if (t.inner) return this.fromErlang(t.inner, term);
        return term.t === 'bits' ? Uint8Array.from(term.bytes) : bad();
    }
  }
}

function charCode(c: Term): number | undefined {
  if (c.t === 'int') return c.v;
  if (c.t === 'tuple' && c.items.length === 4 && c.items.every((x) => x.t === 'int')) {
    const [, , row, cell] = c.items.map((x) => (x as { v: number }).v);
    return row! * 256 + cell!;
  }
  return undefined;
}

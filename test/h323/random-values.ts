// Random values valid for a schema type, from a seeded generator: property tests and fuzz seeds.
import type { AsnType, Schema, SizeConstraint } from '../../h323/asn1/schema.ts';
import { charCoding } from '../../h323/asn1/per/char-strings.ts';

/** The seeded generator the property tests and fuzz seeds draw from. */
export { seededRandom } from '../helpers/seeded-random.ts';

export class RandomValues {
  /** Minimal value size per named type, to steer recursion back to leaves past maxDepth. */
  private readonly cost = new Map<string, number>();

  constructor(
    private readonly schema: Schema,
    private readonly rnd: () => number,
    private readonly maxDepth = 6,
  ) {
    for (let pass = 0; pass < 60; pass++) {
      let changed = false;
      for (const [k, t] of Object.entries(schema.types)) {
        const c = this.costOf(t);
        if (c !== (this.cost.get(k) ?? Infinity)) {
          this.cost.set(k, c);
          changed = true;
        }
      }
      if (!changed) break;
    }
  }

  private costOf(t: AsnType): number {
    switch (t.kind) {
      case 'ref': return this.cost.get(t.ref) ?? Infinity;
      case 'sequence':
      case 'set':
        return 1 + [...t.root, ...(t.ext ?? [])].filter((c) => !c.optional).reduce((n, c) => n + this.costOf(c.type), 0);
      case 'choice': return 1 + Math.min(...[...t.root, ...(t.ext ?? [])].map((a) => this.costOf(a.type)));
      case 'sequenceOf':
      case 'setOf': return 1 + (t.size?.lb ?? 0) * this.costOf(t.item);
      case 'open': return 1 + (t.inner ? this.costOf(t.inner) : 0);
      default: return 1;
    }
  }

  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }

  private count(size: SizeConstraint | undefined, cap: number): number {
    const lb = size?.lb ?? 0;
    const ub = Math.min(size?.ub ?? lb + cap, lb + cap);
    return this.int(lb, ub);
  }

  value(type: AsnType, depth = 0): unknown {
    let t = type;
    while (t.kind === 'ref') t = this.schema.types[t.ref]!;
    const deep = depth >= this.maxDepth;
    switch (t.kind) {
      case 'boolean': return this.rnd() < 0.5;
      case 'null': return null;
      case 'integer': {
        if (t.ext && this.rnd() < 0.1) return (t.ub ?? 0) + this.int(1, 100000);
        if (t.lb !== undefined && t.ub !== undefined) {
          const r = this.rnd();
          return r < 0.2 ? t.lb : r < 0.4 ? t.ub : this.int(t.lb, t.ub);
        }
        if (t.lb !== undefined) return t.lb + (this.rnd() < 0.5 ? this.int(0, 300) : this.int(0, 2 ** 40));
        return this.rnd() < 0.5 ? this.int(-300, 300) : this.int(-(2 ** 40), 2 ** 40);
      }
      case 'enumerated': {
        const all = [...t.root, ...(t.ext ?? [])];
        return all[this.int(0, all.length - 1)];
      }
      case 'bitString': {
        const length = this.count(t.size, 40);
        const data = new Uint8Array((length + 7) >>> 3).map(() => this.int(0, 255));
        if (length & 7) data[data.length - 1]! &= 0xff << (8 - (length & 7));
        return { data, length };
      }
      case 'octetString': return new Uint8Array(this.count(t.size, 12)).map(() => this.int(0, 255));
      case 'string': {
        const coding = charCoding(t);
        const pool = coding.permitted ? coding.codes : undefined;
        const n = this.count(t.size, 10);
        let s = '';
        for (let i = 0; i < n; i++) {
          let c = pool ? pool[this.int(0, pool.length - 1)]! : this.int(0, 0xffff);
          if (c >= 0xd800 && c <= 0xdfff) c = 0x4e2d; // no lone surrogates
          s += String.fromCharCode(c);
        }
        return s;
      }
      case 'otherString': {
        let s = '';
        for (let i = this.int(0, 10); i > 0; i--) s += String.fromCharCode(this.int(32, 126));
        return s;
      }
      case 'objectIdentifier': {
        const first = this.int(0, 2);
        const arcs = [first, first < 2 ? this.int(0, 39) : this.int(0, 500)];
        for (let i = this.int(0, 5); i > 0; i--) arcs.push(this.rnd() < 0.7 ? this.int(0, 127) : this.int(0, 2 ** 28));
        return arcs;
      }
      case 'sequence':
      case 'set': {
        const out: Record<string, unknown> = {};
        for (const c of t.root) {
          if (c.optional && (deep || this.rnd() < 0.5)) continue;
          out[c.name] = this.value(c.type, depth + 1);
        }
        for (const c of t.ext ?? []) {
          if (c.optional && (deep || this.rnd() < 0.6)) continue;
          out[c.name] = this.value(c.type, depth + 1);
        }
        return out;
      }
      case 'choice': {
        const all = [...t.root, ...(t.ext ?? [])];
        let alt = all[this.int(0, all.length - 1)]!;
        if (deep) alt = all.reduce((best, a) => (this.costOf(a.type) < this.costOf(best.type) ? a : best));
        return { type: alt.name, value: this.value(alt.type, depth + 1) };
      }
      case 'sequenceOf':
      case 'setOf': {
        const n = deep ? (t.size?.lb ?? 0) : this.count(t.size, 3);
        return Array.from({ length: n }, () => this.value(t.item, depth + 1));
      }
      case 'open':
        return t.inner ? this.value(t.inner, depth) : new Uint8Array(this.int(1, 8)).map(() => this.int(0, 255));
    }
  }
}

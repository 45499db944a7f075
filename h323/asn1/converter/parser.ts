// Recursive-descent parser for the ASN.1 subset (X.680) found in H.235, H.245 and H.225.0.
import type { ComponentAst, ConstraintAst, ElementAst, ModuleAst, TypeAst } from './ast.ts';
import { AsnSyntaxError, tokenize, type Token } from './tokenizer.ts';

const CHAR_STRINGS = new Set([
  'IA5String', 'PrintableString', 'NumericString', 'VisibleString', 'BMPString', 'UniversalString',
  'UTF8String', 'GeneralString', 'GraphicString', 'TeletexString', 'T61String', 'VideotexString',
]);

export function parseModule(text: string): ModuleAst {
  return new Parser(tokenize(text)).module();
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    return this.toks[this.i++] ?? this.toks[this.toks.length - 1]!;
  }
  private is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return (t.kind === 'sym' || t.kind === 'id') && t.text === text;
  }
  private accept(text: string): boolean {
    if (!this.is(text)) return false;
    this.i++;
    return true;
  }
  private fail(what: string): never {
    const t = this.peek();
    throw new AsnSyntaxError(`line ${t.line}: ${what}, found ${JSON.stringify(t.text)}`);
  }
  private expect(text: string): void {
    if (!this.accept(text)) this.fail(`expected ${text}`);
  }
  private ident(): string {
    const t = this.next();
    if (t.kind !== 'id') {
      this.i--;
      this.fail('expected an identifier');
    }
    return t.text;
  }
  /** Skips a balanced { ... } group. */
  private skipBraces(): void {
    this.expect('{');
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.kind === 'eof') this.fail('unbalanced braces');
      if (t.text === '{' && t.kind === 'sym') depth++;
      if (t.text === '}' && t.kind === 'sym') depth--;
    }
  }

  module(): ModuleAst {
    const name = this.ident(); // X.680 13: ModuleDefinition
    if (this.is('{')) this.skipBraces();
    this.expect('DEFINITIONS');
    while (!this.is('::=')) this.next(); // tagging and extensibility defaults
    this.expect('::=');
    this.expect('BEGIN');
    const mod: ModuleAst = { name, imports: new Map(), assignments: new Map() };
    if (this.accept('EXPORTS')) while (!this.accept(';')) this.next();
    if (this.accept('IMPORTS')) this.imports(mod);
    while (!this.is('END')) this.assignment(mod);
    return mod;
  }

  private imports(mod: ModuleAst): void {
    let symbols: string[] = [];
    while (!this.accept(';')) {
      if (this.accept('FROM')) {
        const from = this.ident();
        if (this.is('{')) this.skipBraces();
        for (const s of symbols) mod.imports.set(s, from);
        symbols = [];
        continue;
      }
      symbols.push(this.ident());
      if (this.is('{') && this.is('}', 1)) this.i += 2; // parameterized reference "SIGNED{}"
      this.accept(',');
    }
  }

  private assignment(mod: ModuleAst): void {
    const name = this.ident();
    if (!/^[A-Z]/.test(name)) this.fail(`value assignment ${name} is outside the supported subset`);
    let params: string[] | undefined;
    if (this.accept('{')) { // X.683 8.2: parameter list
      params = [this.ident()];
      while (this.accept(',')) params.push(this.ident());
      this.expect('}');
    }
    this.expect('::=');
    const type = this.type();
    mod.assignments.set(name, params ? { name, params, type } : { name, type });
  }

  type(): TypeAst {
    const base = this.baseType();
    while (this.is('(')) base.constraints.push(this.constraint());
    return base;
  }

  private baseType(): TypeAst {
    const t = this.peek();
    if (t.kind !== 'id') this.fail('expected a type');
    const c: ConstraintAst[] = [];
    switch (t.text) {
      case 'BOOLEAN':
      case 'NULL':
        this.next();
        return { t: t.text, constraints: c };
      case 'INTEGER':
        this.next();
        if (this.is('{')) this.skipBraces(); // named numbers do not change PER (X.691 13)
        return { t: 'INTEGER', constraints: c };
      case 'OBJECT':
        this.next();
        this.expect('IDENTIFIER');
        return { t: 'OBJECT IDENTIFIER', constraints: c };
      case 'BIT':
        this.next();
        this.expect('STRING');
        if (this.is('{')) this.fail('named bit lists are outside the supported subset');
        return { t: 'BIT STRING', constraints: c };
      case 'OCTET':
        this.next();
        this.expect('STRING');
        return { t: 'OCTET STRING', constraints: c };
      case 'ENUMERATED':
        this.next();
        return { t: 'ENUMERATED', ...this.enumItems(), constraints: c };
      case 'SEQUENCE':
      case 'SET': {
        this.next();
        if (this.is('{')) return { t: t.text, ...this.components(), constraints: c };
        let size: ConstraintAst | undefined;
        if (this.is('SIZE')) size = { root: this.element(), ext: false }; // X.680 50: SEQUENCE SIZE (...) OF
        else if (this.is('(')) size = this.constraint();
        this.expect('OF');
        if (this.peek().kind === 'id' && /^[a-z]/.test(this.peek().text)) this.next(); // named item
        const item = this.type();
        return { t: t.text === 'SET' ? 'SET OF' : 'SEQUENCE OF', item, ...(size ? { size } : {}), constraints: c };
      }
      case 'CHOICE':
        this.next();
        return { t: 'CHOICE', ...this.components(), constraints: c };
      case 'TYPE-IDENTIFIER': // X.681 14.1 / Annex A: TYPE-IDENTIFIER.&Type is an open type
        this.next();
        this.expect('.');
        this.expect('&');
        if (this.ident() !== 'Type') this.fail('only TYPE-IDENTIFIER.&Type is supported');
        return { t: 'TYPE-IDENTIFIER.&Type', constraints: c };
    }
    if (CHAR_STRINGS.has(t.text)) {
      this.next();
      return { t: 'string', name: t.text, constraints: c };
    }
    if (!/^[A-Z]/.test(t.text)) this.fail('expected a type');
    this.next();
    if (this.is('{')) { // X.683 9: parameterized type instance
      this.next();
      const args = [this.type()];
      while (this.accept(',')) args.push(this.type());
      this.expect('}');
      return { t: 'ref', name: t.text, args, constraints: c };
    }
    return { t: 'ref', name: t.text, constraints: c };
  }

  /** X.680 20: root items are ordered by their numbers (20.2: unnumbered ones take the
   *  smallest unused values); X.691 14 indexes them in that order. */
  private enumItems(): { root: string[]; ext?: string[] } {
    this.expect('{');
    const root: { name: string; num?: number }[] = [];
    let ext: string[] | undefined;
    for (;;) {
      if (this.accept('...')) ext = [];
      else {
        const name = this.ident();
        let num: number | undefined;
        if (this.accept('(')) {
          num = this.bound();
          this.expect(')');
        }
        if (ext) ext.push(name);
        else root.push(num === undefined ? { name } : { name, num });
      }
      if (this.accept('}')) break;
      this.expect(',');
    }
    const used = new Set(root.flatMap((r) => (r.num === undefined ? [] : [r.num])));
    let next = 0;
    for (const r of root) {
      if (r.num !== undefined) continue;
      while (used.has(next)) next++;
      r.num = next;
      used.add(next);
    }
    const names = [...root].sort((a, b) => a.num! - b.num!).map((r) => r.name);
    return ext ? { root: names, ext } : { root: names };
  }

  /** X.680 25/29: component/alternative lists with an extension marker. */
  private components(): { root: ComponentAst[]; ext?: ComponentAst[] } {
    this.expect('{');
    const root: ComponentAst[] = [];
    let ext: ComponentAst[] | undefined;
    let markers = 0;
    if (this.accept('}')) return { root };
    for (;;) {
      if (this.accept('...')) {
        markers++;
        if (markers === 1) ext = [];
      } else if (this.is('[[')) {
        this.fail('version brackets are outside the supported subset');
      } else if (this.is('COMPONENTS')) {
        this.fail('COMPONENTS OF is outside the supported subset');
      } else {
        const name = this.ident();
        const type = this.type();
        let optional = false;
        if (this.accept('OPTIONAL')) optional = true;
        else if (this.is('DEFAULT')) this.fail('DEFAULT is outside the supported subset');
        // After a second "..." components belong to the root again (X.680 25.1).
        (markers === 1 ? ext! : root).push({ name, type, optional });
      }
      if (this.accept('}')) break;
      this.expect(',');
    }
    return ext ? { root, ext } : { root };
  }

  /** X.680 49: "(" ElementSetSpecs ")". */
  constraint(): ConstraintAst {
    this.expect('(');
    const root = this.elementSet();
    let ext = false;
    if (this.accept(',')) {
      this.expect('...');
      ext = true;
      if (this.accept(',')) this.elementSet(); // additional elements: not PER-visible (X.691 9.3.?)
    }
    this.expect(')');
    return { root, ext };
  }

  private elementSet(): ElementAst {
    const items = [this.intersection()];
    while (this.accept('|') || this.accept('UNION')) items.push(this.intersection());
    return items.length === 1 ? items[0]! : { e: 'union', items };
  }

  private intersection(): ElementAst {
    const items = [this.element()];
    while (this.accept('^') || this.accept('INTERSECTION')) items.push(this.element());
    return items.length === 1 ? items[0]! : { e: 'intersection', items };
  }

  private element(): ElementAst {
    if (this.accept('SIZE')) return { e: 'size', spec: this.constraint() };
    if (this.accept('FROM')) return { e: 'from', spec: this.constraint() };
    if (this.is('WITH')) {
      this.next();
      this.next(); // COMPONENT(S)
      this.skipBraces();
      return { e: 'invisible' };
    }
    if (this.is('CONSTRAINED')) {
      this.next();
      this.expect('BY');
      this.skipBraces();
      return { e: 'invisible' };
    }
    if (this.is('(')) return { e: 'nested', spec: this.constraint() };
    const t = this.peek();
    if (t.kind === 'str') {
      this.next();
      return { e: 'chars', chars: t.text };
    }
    if (t.kind === 'id' && /^[A-Z][a-z]/.test(t.text) && t.text !== 'MIN' && t.text !== 'MAX') {
      return { e: 'type', type: this.type() };
    }
    const lb = this.bound();
    if (this.accept('..')) return { e: 'range', lb, ub: this.bound() };
    return { e: 'range', lb, ub: lb };
  }

  private bound(): number | undefined {
    if (this.accept('MIN') || this.accept('MAX')) return undefined;
    const negative = this.accept('-');
    const t = this.next();
    if (t.kind !== 'num') {
      this.i--;
      this.fail('expected a number (value references are outside the supported subset)');
    }
    return negative ? -Number(t.text) : Number(t.text);
  }
}

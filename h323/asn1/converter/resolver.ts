// Turns parsed modules into the PER schema: resolves references across IMPORTS, instantiates
// parameterized types (X.683), and reduces constraints to their PER-visible effect (X.691 9.3).
import type { Alternative, AsnType, Component, KnownMultiplierString, Schema, SizeConstraint } from '../schema.ts';
import type { ComponentAst, ConstraintAst, ElementAst, ModuleAst, TypeAst } from './ast.ts';
import { AsnSyntaxError } from './tokenizer.ts';

const KNOWN_MULTIPLIER = new Set(['IA5String', 'PrintableString', 'NumericString', 'VisibleString', 'BMPString']);

/** A parameter bound to an actual type, resolved in the scope where it was written. */
interface Binding {
  ast: TypeAst;
  scope: Scope;
}
interface Scope {
  module: ModuleAst;
  params: Map<string, Binding>;
}

/** What a set of constraints allows, as far as PER sees it. */
interface Effective {
  lb?: number;
  ub?: number;
  ext?: boolean;
  size?: SizeConstraint;
  alphabet?: string;
  inner?: TypeAst;
  innerScope?: Scope;
}

export function resolveModules(modules: ModuleAst[]): Schema {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const types: Record<string, AsnType> = {};
  const fail = (msg: string): never => {
    throw new AsnSyntaxError(msg);
  };

  const lookup = (scope: Scope, name: string): { module: ModuleAst; key: string } => {
    if (scope.module.assignments.has(name)) return { module: scope.module, key: `${scope.module.name}.${name}` };
    const from = scope.module.imports.get(name);
    const mod = from ? byName.get(from) : undefined;
    if (!mod || !mod.assignments.has(name)) fail(`${scope.module.name}: unresolved reference ${name}`);
    return { module: mod!, key: `${mod!.name}.${name}` };
  };

  /** The resolved base kind behind a reference, for deciding how constraints apply. */
  const baseOf = (ast: TypeAst, scope: Scope): { ast: TypeAst; scope: Scope } => {
    for (let depth = 0; ast.t === 'ref'; depth++) {
      if (depth > 50) fail(`reference cycle at ${ast.name}`);
      const bound = scope.params.get(ast.name);
      if (bound) {
        ({ ast, scope } = bound);
        continue;
      }
      const { module } = lookup(scope, ast.name);
      const target = module.assignments.get(ast.name)!;
      scope = { module, params: new Map() };
      ast = target.type;
    }
    return { ast, scope };
  };

  const convert = (ast: TypeAst, scope: Scope): AsnType => {
    const eff = effective(ast.constraints, scope);
    switch (ast.t) {
      case 'BOOLEAN': return { kind: 'boolean' };
      case 'NULL': return { kind: 'null' };
      case 'OBJECT IDENTIFIER': return { kind: 'objectIdentifier' };
      case 'INTEGER': return integer(eff);
      case 'ENUMERATED': return ast.ext ? { kind: 'enumerated', root: ast.root, ext: ast.ext } : { kind: 'enumerated', root: ast.root };
      case 'BIT STRING': return eff.size ? { kind: 'bitString', size: eff.size } : { kind: 'bitString' };
      case 'OCTET STRING': return eff.size ? { kind: 'octetString', size: eff.size } : { kind: 'octetString' };
      case 'string':
        if (!KNOWN_MULTIPLIER.has(ast.name)) return { kind: 'otherString', stringType: ast.name };
        return {
          kind: 'string',
          stringType: ast.name as KnownMultiplierString,
          ...(eff.size ? { size: eff.size } : {}),
          ...(eff.alphabet !== undefined ? { alphabet: [...new Set(eff.alphabet)].sort().join('') } : {}),
        };
      case 'SEQUENCE':
      case 'SET': {
        const root = ast.root.map((c) => component(c, scope));
        const kind = ast.t === 'SET' ? 'set' : 'sequence';
        return ast.ext ? { kind, root, ext: ast.ext.map((c) => component(c, scope)) } : { kind, root };
      }
      case 'CHOICE': {
        const root = ast.root.map((c) => alternative(c, scope));
        return ast.ext ? { kind: 'choice', root, ext: ast.ext.map((c) => alternative(c, scope)) } : { kind: 'choice', root };
      }
      case 'SEQUENCE OF':
      case 'SET OF': {
        const size = ast.size ? effective([ast.size], scope).size : eff.size;
        const kind = ast.t === 'SET OF' ? 'setOf' : 'sequenceOf';
        return size ? { kind, item: convert(ast.item, scope), size } : { kind, item: convert(ast.item, scope) };
      }
      case 'TYPE-IDENTIFIER.&Type':
        return eff.inner ? { kind: 'open', inner: convert(eff.inner, eff.innerScope!) } : { kind: 'open' };
      case 'ref':
        return reference(ast, scope);
    }
  };

  const reference = (ast: Extract<TypeAst, { t: 'ref' }>, scope: Scope): AsnType => {
    const bound = scope.params.get(ast.name);
    if (bound) return withConstraints(convert(bound.ast, bound.scope), ast, scope);
    const { module, key } = lookup(scope, ast.name);
    const target = module.assignments.get(ast.name)!;
    if (target.params) { // X.683 9: instantiate with the actual parameters, inline
      if (!ast.args || ast.args.length !== target.params.length) fail(`${key}: wrong number of parameters`);
      const params = new Map(target.params.map((p, i) => [p, { ast: ast.args![i]!, scope }]));
      return withConstraints(convert(target.type, { module, params }), ast, scope);
    }
    const ref: AsnType = { kind: 'ref', ref: key };
    if (!hasVisibleConstraint(ast.constraints)) return ref;
    // A constrained reference: the referenced type with the extra constraints, inline.
    const base = baseOf(ast, scope);
    return convert({ ...base.ast, constraints: [...base.ast.constraints, ...ast.constraints] } as TypeAst, base.scope);
  };

  const withConstraints = (t: AsnType, ast: TypeAst, scope: Scope): AsnType => {
    if (!hasVisibleConstraint(ast.constraints)) return t;
    fail(`constraints on a parameter or parameterized type are outside the supported subset (${scope.module.name})`);
    return t;
  };

  const component = (c: ComponentAst, scope: Scope): Component =>
    c.optional ? { name: c.name, type: convert(c.type, scope), optional: true } : { name: c.name, type: convert(c.type, scope) };
  const alternative = (c: ComponentAst, scope: Scope): Alternative => ({ name: c.name, type: convert(c.type, scope) });

  const effective = (constraints: ConstraintAst[], scope: Scope): Effective => {
    const out: Effective = {};
    for (const c of constraints) applyConstraint(out, c, scope); // serial constraints refine each other
    return out;
  };

  const applyConstraint = (out: Effective, c: ConstraintAst, scope: Scope): void => {
    const e = element(c.root, scope);
    if (e.lb !== undefined || e.ub !== undefined) {
      if (e.lb !== undefined) out.lb = out.lb === undefined ? e.lb : Math.max(out.lb, e.lb);
      if (e.ub !== undefined) out.ub = out.ub === undefined ? e.ub : Math.min(out.ub, e.ub);
      // Serially applied constraints (X.680 constraint notation): the last one decides extensibility.
      if (c.ext) out.ext = true;
      else delete out.ext;
    }
    if (e.size) out.size = e.size;
    if (e.alphabet !== undefined) out.alphabet = e.alphabet;
    if (e.inner) {
      out.inner = e.inner;
      out.innerScope = e.innerScope;
    }
  };

  /** Reduces an element set to a range / size / alphabet (unions widen, intersections narrow). */
  const element = (el: ElementAst, scope: Scope): Effective => {
    switch (el.e) {
      case 'range': return { ...(el.lb !== undefined ? { lb: el.lb } : {}), ...(el.ub !== undefined ? { ub: el.ub } : {}) };
      case 'chars': return { alphabet: el.chars };
      case 'invisible': return {};
      case 'nested': return element(el.spec.root, scope);
      case 'type': return { inner: el.type, innerScope: scope };
      case 'size': {
        const r = element(el.spec.root, scope);
        if (r.lb === undefined) fail('SIZE without a lower bound');
        const size: SizeConstraint = { lb: r.lb! };
        if (r.ub !== undefined) size.ub = r.ub;
        if (el.spec.ext) size.ext = true;
        return { size };
      }
      case 'from': {
        const r = element(el.spec.root, scope);
        return { alphabet: r.alphabet ?? '' };
      }
      case 'intersection': {
        const out: Effective = {};
        for (const item of el.items) applyConstraint(out, { root: item, ext: false }, scope);
        return out;
      }
      case 'union': {
        const parts = el.items.map((i) => element(i, scope));
        const out: Effective = {};
        if (parts.every((p) => p.lb !== undefined)) out.lb = Math.min(...parts.map((p) => p.lb!));
        if (parts.every((p) => p.ub !== undefined)) out.ub = Math.max(...parts.map((p) => p.ub!));
        if (parts.every((p) => p.alphabet !== undefined)) out.alphabet = parts.map((p) => p.alphabet).join('');
        return out;
      }
    }
  };

  for (const m of modules) {
    for (const [name, a] of m.assignments) {
      if (a.params) continue; // only instances exist in the schema
      types[`${m.name}.${name}`] = convert(a.type, { module: m, params: new Map() });
    }
  }
  return { modules: modules.map((m) => m.name), types };
}

function integer(eff: Effective): AsnType {
  const t: AsnType = { kind: 'integer' };
  if (eff.lb !== undefined) t.lb = eff.lb;
  if (eff.ub !== undefined) t.ub = eff.ub;
  if (eff.ext) t.ext = true;
  return t;
}

function hasVisibleConstraint(constraints: ConstraintAst[]): boolean {
  const visible = (e: ElementAst): boolean => {
    switch (e.e) {
      case 'invisible': return false;
      case 'nested': return visible(e.spec.root);
      case 'intersection':
      case 'union': return e.items.some(visible);
      default: return true;
    }
  };
  return constraints.some((c) => visible(c.root));
}

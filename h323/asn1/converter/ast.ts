// Syntax tree of the ASN.1 subset the H.323 modules use (ITU-T X.680, X.681, X.683).

/** One element of a constraint (X.680 46-49), kept only as far as PER can see it. */
export type ElementAst =
  | { e: 'range'; lb?: number; ub?: number } // value range or single value; undefined = MIN/MAX
  | { e: 'chars'; chars: string } // a character string value inside FROM
  | { e: 'size'; spec: ConstraintAst }
  | { e: 'from'; spec: ConstraintAst }
  | { e: 'type'; type: TypeAst } // type constraint on an open type (X.682 8)
  | { e: 'nested'; spec: ConstraintAst }
  | { e: 'intersection'; items: ElementAst[] }
  | { e: 'union'; items: ElementAst[] }
  | { e: 'invisible' }; // WITH COMPONENTS, CONSTRAINED BY: not PER-visible (X.691 9.3.18-9.3.19)

export interface ConstraintAst {
  root: ElementAst;
  ext: boolean;
}

export interface ComponentAst {
  name: string;
  type: TypeAst;
  optional: boolean;
}

export type TypeAst = (
  | { t: 'BOOLEAN' | 'NULL' | 'INTEGER' | 'OBJECT IDENTIFIER' | 'BIT STRING' | 'OCTET STRING' }
  | { t: 'ENUMERATED'; root: string[]; ext?: string[] }
  | { t: 'string'; name: string }
  | { t: 'SEQUENCE' | 'SET'; root: ComponentAst[]; ext?: ComponentAst[] }
  | { t: 'CHOICE'; root: ComponentAst[]; ext?: ComponentAst[] }
  | { t: 'SEQUENCE OF' | 'SET OF'; item: TypeAst; size?: ConstraintAst }
  | { t: 'ref'; name: string; args?: TypeAst[] }
  | { t: 'TYPE-IDENTIFIER.&Type' }
) & { constraints: ConstraintAst[] };

export interface TypeAssignment {
  name: string;
  params?: string[];
  type: TypeAst;
}

export interface ModuleAst {
  name: string;
  imports: Map<string, string>; // symbol → module it comes from
  assignments: Map<string, TypeAssignment>;
}

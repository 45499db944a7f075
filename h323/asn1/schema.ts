// The resolved, JSON-able schema the PER codec is driven by. Produced from the ITU-T module
// texts by converter/ (generate.ts) and committed as generated/h323-schema.json.

/** Effective PER-visible size constraint (X.691 9.3): lb..ub, ub absent = unbounded. */
export interface SizeConstraint {
  lb: number;
  ub?: number;
  /** `SIZE (a..b, ...)`: one extension bit precedes the length (X.691 9.3.16). */
  ext?: boolean;
}

export type KnownMultiplierString =
  | 'IA5String'
  | 'PrintableString'
  | 'NumericString'
  | 'VisibleString'
  | 'BMPString';

export interface Component {
  name: string;
  type: AsnType;
  optional?: boolean;
}

export interface Alternative {
  name: string;
  type: AsnType;
}

export type AsnType =
  | { kind: 'ref'; ref: string }
  | { kind: 'boolean' }
  | { kind: 'null' }
  | { kind: 'integer'; lb?: number; ub?: number; ext?: boolean }
  | { kind: 'enumerated'; root: string[]; ext?: string[] }
  | { kind: 'bitString'; size?: SizeConstraint }
  | { kind: 'octetString'; size?: SizeConstraint }
  | { kind: 'string'; stringType: KnownMultiplierString; size?: SizeConstraint; alphabet?: string }
  /** GeneralString and other non-known-multiplier strings (X.691 clause 30 "other"). */
  | { kind: 'otherString'; stringType: string }
  | { kind: 'objectIdentifier' }
  | { kind: 'sequence'; root: Component[]; ext?: Component[] }
  | { kind: 'set'; root: Component[]; ext?: Component[] }
  | { kind: 'choice'; root: Alternative[]; ext?: Alternative[] }
  | { kind: 'sequenceOf'; item: AsnType; size?: SizeConstraint }
  | { kind: 'setOf'; item: AsnType; size?: SizeConstraint }
  /** An open type (X.691 10.2); `inner` when a type constraint fixes what it carries
   *  (`TYPE-IDENTIFIER.&Type (ClearToken)`), the value is then the inner type's value. */
  | { kind: 'open'; inner?: AsnType };

export interface Schema {
  /** Module names in dependency order. */
  modules: string[];
  /** Every type assignment, keyed `MODULE.TypeName`; `ref` nodes point into this map. */
  types: Record<string, AsnType>;
}

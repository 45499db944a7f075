// One schema, one encoder, one decoder: the PER codec for named types of a schema.
import type { AsnType, Schema } from '../schema.ts';
import { PerDecoder } from './decoder.ts';
import { PerEncoder } from './encoder.ts';

export class PerCodec {
  private readonly encoder: PerEncoder;
  private readonly decoder: PerDecoder;
  private readonly names = new Map<string, string>();

  constructor(readonly schema: Schema) {
    this.encoder = new PerEncoder(schema);
    this.decoder = new PerDecoder(schema);
    for (const key of Object.keys(schema.types)) {
      const short = key.slice(key.indexOf('.') + 1);
      // A short name is usable when only one module defines it (NonStandardParameter is in all three).
      this.names.set(short, this.names.has(short) ? '' : key);
      this.names.set(key, key);
    }
  }

  /** `MODULE.Type`, or `Type` when unambiguous. */
  typeRef(name: string): AsnType {
    const key = this.names.get(name);
    if (!key) throw new Error(`unknown or ambiguous type name ${name}`);
    return { kind: 'ref', ref: key };
  }

  encode(typeName: string, value: unknown): Uint8Array {
    return this.encoder.encode(this.typeRef(typeName), value);
  }

  /** Throws only PerDecodeError on malformed input. */
  decode(typeName: string, bytes: Uint8Array): unknown {
    return this.decoder.decode(this.typeRef(typeName), bytes);
  }
}

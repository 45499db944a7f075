import type { DialRule } from '../config/index.ts';

/**
 * Where a dialled number goes: a meeting room, out through trunks in failover order, or an answer
 * at the signalling layer only (no media, no meeting: health probe, test number, bench).
 */
export type DialTarget =
  | { kind: 'room'; roomId: string }
  | { kind: 'signalling-only' }
  | { kind: 'trunk'; trunks: string[]; /** the dialled user part after `rewrite` */ number: string };

interface CompiledRule {
  pattern: RegExp;
  rewrite?: string;
  room?: string;
  trunks?: string[];
  signallingOnly?: true;
}

/** Ordered dial plan: the first rule whose pattern matches the dialled user part wins. */
export class DialPlan {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly DialRule[]) {
    this.rules = rules.map(compile);
  }

  /** Resolves a dialled user part (already percent-decoded) to a target, or undefined. */
  resolve(dialled: string): DialTarget | undefined {
    for (const rule of this.rules) {
      const match = rule.pattern.exec(dialled);
      if (!match) continue;
      // String.prototype.replace semantics for $1 / $<name>, applied to the matched text only.
      const substitute = (template: string) => match[0].replace(rule.pattern, template);
      const number = rule.rewrite === undefined ? dialled : substitute(rule.rewrite);
      if (rule.signallingOnly) return { kind: 'signalling-only' };
      if (rule.trunks) {
        if (number.length > 0) return { kind: 'trunk', trunks: rule.trunks, number };
        continue;
      }
      const roomId = substitute(rule.room!);
      if (roomId.length > 0) return { kind: 'room', roomId };
    }
    return undefined;
  }

  /** The first rule routing `dialled` out through trunks, ignoring room rules (dial-out). */
  resolveDialOut(dialled: string): Extract<DialTarget, { kind: 'trunk' }> | undefined {
    const outbound = new DialPlan([]);
    outbound.rules.push(...this.rules.filter((r) => r.trunks));
    const target = outbound.resolve(dialled);
    return target?.kind === 'trunk' ? target : undefined;
  }
}

function compile(rule: DialRule): CompiledRule {
  const pattern = new RegExp(rule.match);
  const target = rule.target;
  const rewrite = rule.rewrite === undefined ? {} : { rewrite: rule.rewrite };
  if (target && 'trunk' in target) return { pattern, ...rewrite, trunks: [target.trunk].flat() };
  if (target && 'answer' in target) return { pattern, signallingOnly: true };
  return { pattern, ...rewrite, room: target && 'room' in target ? target.room : rule.room! };
}

/** The user part of a SIP/SIPS URI, percent-decoded (RFC 3261 19.1.2); undefined if none. */
export function userPartOf(uri: string): string | undefined {
  const m = /^sips?:([^@;?>]+)@/i.exec(uri.trim().replace(/^<|>$/g, ''));
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!.split(':')[0]!);
  } catch {
    return undefined;
  }
}

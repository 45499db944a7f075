import type { DialRule } from '../config/index.ts';

/** Where an inbound call goes. */
export type DialTarget = { kind: 'room'; roomId: string };

/** Ordered dial plan: the first rule whose pattern matches the dialled user part wins. */
export class DialPlan {
  private readonly rules: { pattern: RegExp; room: string }[];

  constructor(rules: readonly DialRule[]) {
    this.rules = rules.map((r) => ({ pattern: new RegExp(r.match), room: r.room }));
  }

  /** Resolves a dialled user part (already percent-decoded) to a target, or undefined. */
  resolve(dialled: string): DialTarget | undefined {
    for (const rule of this.rules) {
      const match = rule.pattern.exec(dialled);
      if (!match) continue;
      // String.prototype.replace semantics for $1 / $<name>, applied to the matched text only.
      const roomId = match[0].replace(rule.pattern, rule.room);
      if (roomId.length > 0) return { kind: 'room', roomId };
    }
    return undefined;
  }
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

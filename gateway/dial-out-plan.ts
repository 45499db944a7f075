import type { DialPlan } from './dial-plan.ts';
import { userPartOf } from './dial-plan.ts';
import type { TrunkSet, TrunkState } from './trunks/trunk-set.ts';

/** A dial-out request as the admin API receives it. */
export interface DialRequest {
  /** Meeting room the callee is brought into. */
  meeting: string;
  /** The callee: a SIP URI (sip:room1@10.1.1.5) or a bare number/user. */
  to: string;
  /** Force this trunk instead of the dial plan's trunk rules. */
  trunk?: string;
}

export type DialOutPlan =
  | { ok: true; number: string; trunks: TrunkState[] }
  | { ok: false; status: number; reason: string };

const ROOM_ID = /^[A-Za-z0-9_.~-]{1,128}$/;

/**
 * No open relay (issue #3): a dial-out goes only through configured trunks with an outbound
 * section, and only to numbers one of that trunk's `permittedNumbers` patterns allows.
 */
export function planDialOut(request: DialRequest, dialPlan: DialPlan, trunks: TrunkSet): DialOutPlan {
  if (!ROOM_ID.test(request.meeting)) return { ok: false, status: 400, reason: 'meeting must be a room id ([A-Za-z0-9_.~-])' };
  const dialled = /^sips?:/i.test(request.to) ? userPartOf(request.to) : request.to;
  if (!dialled || /[\s<>"@]/.test(dialled)) return { ok: false, status: 400, reason: 'to must be a SIP URI with a user part, or a number' };
  let number = dialled;
  let names: string[];
  if (request.trunk !== undefined) {
    names = [request.trunk];
  } else {
    const route = dialPlan.resolveDialOut(dialled);
    if (!route) return { ok: false, status: 404, reason: `no dial plan rule routes "${dialled}" to a trunk` };
    number = route.number;
    names = route.trunks;
  }
  const chosen: TrunkState[] = [];
  for (const name of names) {
    const trunk = trunks.get(name);
    if (!trunk?.config.outbound) {
      if (request.trunk !== undefined) return { ok: false, status: 404, reason: `no trunk "${name}" with an outbound section` };
      continue;
    }
    if (trunks.permitsDialOut(trunk, number)) chosen.push(trunk);
  }
  if (chosen.length === 0) return { ok: false, status: 403, reason: `"${number}" is not a permitted dial-out number on ${names.join(', ')}` };
  return { ok: true, number, trunks: chosen };
}

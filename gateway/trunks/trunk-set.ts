import { BlockList, isIP } from 'node:net';
import type { TrunkConfig } from '../../config/index.ts';

/** A trunk's live state: its config, calls in progress and keepalive reachability. */
export interface TrunkState {
  readonly config: TrunkConfig;
  activeCalls: number;
  /** `unknown` until the first OPTIONS probe (or always, when keepalive is off). */
  reachability: 'up' | 'down' | 'unknown';
  consecutiveFailures: number;
  lastProbeAt?: number;
  lastProbeStatus?: number;
}

/** What `admissionFor` decides about an inbound request's source. */
export type Admission =
  | { allowed: true; trunk?: TrunkState }
  | { allowed: false; reason: string };

/**
 * The configured trunks with their live state; replaced by `reconfigure` on reload while live
 * calls keep counting against the trunk of the same name.
 */
export class TrunkSet {
  private trunks = new Map<string, TrunkState>();
  private globalSources = new BlockList();
  private trunkSources = new Map<string, BlockList>();
  private restricted = false;

  constructor(trunks: readonly TrunkConfig[], allowedSources: readonly string[]) {
    this.reconfigure(trunks, allowedSources);
  }

  /** New config for new calls; counters and reachability carry over for trunks kept by name. */
  reconfigure(trunks: readonly TrunkConfig[], allowedSources: readonly string[]): void {
    const next = new Map<string, TrunkState>();
    for (const config of trunks) {
      const old = this.trunks.get(config.name);
      next.set(config.name, {
        config,
        activeCalls: old?.activeCalls ?? 0,
        reachability: old?.reachability ?? 'unknown',
        consecutiveFailures: old?.consecutiveFailures ?? 0,
        ...(old?.lastProbeAt ? { lastProbeAt: old.lastProbeAt, lastProbeStatus: old.lastProbeStatus } : {}),
      });
    }
    this.trunks = next;
    this.globalSources = blockListOf(allowedSources);
    this.trunkSources = new Map(trunks.filter((t) => t.inbound?.sources.length).map((t) => [t.name, blockListOf(t.inbound!.sources)]));
    this.restricted = allowedSources.length > 0 || this.trunkSources.size > 0;
  }

  get(name: string): TrunkState | undefined {
    return this.trunks.get(name);
  }

  all(): TrunkState[] {
    return [...this.trunks.values()];
  }

  /**
   * Which trunk an inbound request from `address` belongs to, and whether it is let in at all:
   * when any source list is configured, other sources are refused (RFC 3261 21.4.4 403).
   */
  admissionFor(address: string): Admission {
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    for (const [name, list] of this.trunkSources) {
      if (list.check(address, family)) return { allowed: true, trunk: this.trunks.get(name)! };
    }
    if (!this.restricted || this.globalSources.check(address, family)) return { allowed: true };
    return { allowed: false, reason: `source ${address} is not in any allow-list` };
  }

  /** Takes a call slot on `trunk`; false when its maxConcurrentCalls is reached. */
  tryAcquire(trunk: TrunkState): boolean {
    const limit = trunk.config.maxConcurrentCalls;
    if (limit > 0 && trunk.activeCalls >= limit) return false;
    trunk.activeCalls++;
    return true;
  }

  /** Gives back a slot taken by `tryAcquire`, on whichever state now carries the trunk's name. */
  release(trunk: TrunkState): void {
    const current = this.trunks.get(trunk.config.name);
    for (const state of new Set([trunk, ...(current ? [current] : [])])) state.activeCalls = Math.max(0, state.activeCalls - 1);
  }

  /** True when `number` matches one of the trunk's permitted dial-out patterns (no open relay). */
  permitsDialOut(trunk: TrunkState, number: string): boolean {
    return trunk.config.permittedNumbers.some((p) => new RegExp(p).test(number));
  }
}

/** Node's BlockList doubles as a prefix matcher: addSubnet / addAddress, then check. */
function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

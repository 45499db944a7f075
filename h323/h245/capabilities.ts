// Reading a peer's TerminalCapabilitySet (H.245 8.3, B.2.2) into a flat typed list, and the
// checks whose failure is answered with TerminalCapabilitySetReject and its cause (C.3).
import { H264_CAPABILITY_OID, type Choice, type Fields, type MediaCapability, type TcsRejectCause } from '../asn1/index.ts';

export type CapabilityDirection = 'receive' | 'transmit' | 'receiveAndTransmit';

export interface RemoteCapability {
  /** capabilityTableEntryNumber */
  entry: number;
  direction: CapabilityDirection;
  kind: 'audio' | 'video' | 'userInput' | 'data' | 'other';
  /** The CHOICE alternative (`g711Ulaw64k`, `g722-64k`, `h263`, `dtmf`…), `h264` for H.241 generic H.264. */
  codec: string;
  /** Codec parameters: framesPerPacket; maxBitRate (100 bit/s); profile, level (H.241); qcifMPI, cifMPI… */
  params: Record<string, number | boolean>;
  /** The same capability in the form openChannel() takes, for the codecs roomgate sends. */
  media?: MediaCapability;
}

export interface RemoteCapabilities {
  sequenceNumber: number;
  /** An empty set (no table): the peer asks to be put on hold (H.323 8.4.6). */
  empty: boolean;
  capabilities: RemoteCapability[];
  /** Per descriptor: its simultaneous alternative sets, as capabilityTableEntryNumbers. */
  descriptors: { number: number; simultaneous: number[][] }[];
}

const sameOid = (a: unknown, b: number[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

/** An AudioCapability / VideoCapability CHOICE as one of roomgate's media capabilities, if it is one. */
export function readMediaCapability(kind: 'audio' | 'video', cap: Choice): MediaCapability | undefined {
  if (kind === 'audio') {
    if (cap.type === 'g711Ulaw64k' || cap.type === 'g711Alaw64k' || cap.type === 'g722-64k') {
      return { codec: cap.type, framesPerPacket: cap.value as number };
    }
    return undefined;
  }
  if (cap.type === 'h263VideoCapability') {
    const v = cap.value as Fields;
    return {
      codec: 'h263', maxBitRate: v.maxBitRate as number,
      ...(v.qcifMPI !== undefined ? { qcifMPI: v.qcifMPI as number } : {}),
      ...(v.cifMPI !== undefined ? { cifMPI: v.cifMPI as number } : {}),
    };
  }
  if (cap.type === 'genericVideoCapability') {
    const g = cap.value as Fields;
    const id = g.capabilityIdentifier as Choice;
    if (id.type !== 'standard' || !sameOid(id.value, H264_CAPABILITY_OID)) return undefined;
    const p = genericParams(g);
    // H.241 8.3.2: profile (41) and level (42) are mandatory
    if (typeof p.profile !== 'number' || typeof p.level !== 'number') return undefined;
    return { codec: 'h264', maxBitRate: (g.maxBitRate as number | undefined) ?? 0, profile: p.profile, level: p.level };
  }
  return undefined;
}

function genericParams(g: Fields): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const gp of [...((g.collapsing as Fields[] | undefined) ?? []), ...((g.nonCollapsing as Fields[] | undefined) ?? [])]) {
    const id = gp.parameterIdentifier as Choice;
    const val = gp.parameterValue as Choice;
    if (id.type !== 'standard') continue;
    const n = id.value as number;
    const name = n === 41 ? 'profile' : n === 42 ? 'level' : `param${n}`;
    out[name] = val.type === 'logical' ? true : typeof val.value === 'number' ? val.value : true;
  }
  return out;
}

function describe(entry: number, cap: Choice): RemoteCapability {
  const m = /^(receiveAndTransmit|receive|transmit)(Video|Audio|DataApplication|UserInput)Capability$/.exec(cap.type);
  if (!m) return { entry, direction: 'receive', kind: 'other', codec: cap.type, params: {} };
  const direction = m[1] as CapabilityDirection;
  const inner = cap.value as Choice;
  if (m[2] === 'UserInput') return { entry, direction, kind: 'userInput', codec: inner.type, params: {} };
  if (m[2] === 'DataApplication') {
    const app = (inner as unknown as Fields).application as Choice | undefined;
    return { entry, direction, kind: 'data', codec: app?.type ?? 'data', params: {} };
  }
  const kind = m[2] === 'Audio' ? 'audio' : 'video';
  const media = readMediaCapability(kind, inner);
  const params: Record<string, number | boolean> = {};
  if (typeof inner.value === 'number') params.framesPerPacket = inner.value;
  else if (inner.value && typeof inner.value === 'object') {
    const v = inner.value as Fields;
    if (inner.type === 'genericVideoCapability' || inner.type === 'genericAudioCapability') {
      Object.assign(params, genericParams(v));
      if (typeof v.maxBitRate === 'number') params.maxBitRate = v.maxBitRate;
    } else {
      for (const [k, x] of Object.entries(v)) if (typeof x === 'number' || typeof x === 'boolean') params[k] = x;
    }
  }
  let codec = inner.type;
  if (media?.codec === 'h264') codec = 'h264';
  else if (inner.type === 'h263VideoCapability') codec = 'h263';
  else if (inner.type === 'h261VideoCapability') codec = 'h261';
  return { entry, direction, kind, codec, params, ...(media ? { media } : {}) };
}

/** The peer's TerminalCapabilitySet, or the TerminalCapabilitySetReject cause it deserves (C.3). */
export function readTerminalCapabilitySet(tcs: Fields): { ok: true; value: RemoteCapabilities } | { ok: false; cause: TcsRejectCause; why: string } {
  const sequenceNumber = tcs.sequenceNumber as number;
  const table = (tcs.capabilityTable as Fields[] | undefined) ?? [];
  const mux = tcs.multiplexCapability as Choice | undefined;
  if (mux && mux.type !== 'h2250Capability') {
    return { ok: false, cause: 'unspecified', why: `multiplexCapability ${mux.type} is not H.225.0's` };
  }
  const defined = new Set<number>();
  const capabilities: RemoteCapability[] = [];
  for (const e of table) {
    const n = e.capabilityTableEntryNumber as number;
    if (!e.capability) continue; // an entry without capability removes it (B.2.2)
    defined.add(n);
    capabilities.push(describe(n, e.capability as Choice));
  }
  const descriptors: RemoteCapabilities['descriptors'] = [];
  for (const d of (tcs.capabilityDescriptors as Fields[] | undefined) ?? []) {
    const simultaneous = (d.simultaneousCapabilities as number[][] | undefined) ?? [];
    for (const set of simultaneous) {
      for (const n of set) {
        if (!defined.has(n)) {
          return { ok: false, cause: 'undefinedTableEntryUsed', why: `descriptor ${d.capabilityDescriptorNumber as number} uses undefined entry ${n}` };
        }
      }
    }
    descriptors.push({ number: d.capabilityDescriptorNumber as number, simultaneous });
  }
  return { ok: true, value: { sequenceNumber, empty: table.length === 0 && descriptors.length === 0, capabilities, descriptors } };
}

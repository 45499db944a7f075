/**
 * Q.931 messages as H.225.0 uses them (ITU-T Q.931 4; H.225.0 7.2): protocol discriminator 0x08,
 * a 2-octet call reference with its flag, the message type, then information elements. Codeset 0
 * only (H.225.0 uses no other); unknown IEs are kept, in order, so nothing a peer sent is lost.
 */
export const Q931_PROTOCOL_DISCRIMINATOR = 0x08;

/** Q.931 4.3 message types used by H.225.0 (Table 4-2). */
export const MessageType = {
  alerting: 0x01,
  callProceeding: 0x02,
  progress: 0x03,
  setup: 0x05,
  connect: 0x07,
  setupAcknowledge: 0x0d,
  connectAcknowledge: 0x0f,
  userInformation: 0x20,
  releaseComplete: 0x5a,
  facility: 0x62,
  notify: 0x6e,
  statusEnquiry: 0x75,
  information: 0x7b,
  status: 0x7d,
} as const;
export type MessageTypeName = keyof typeof MessageType;

/** Q.931 4.5 Table 4-3 information element identifiers (codeset 0) used here. */
export const IeId = {
  bearerCapability: 0x04,
  cause: 0x08,
  callState: 0x14,
  facility: 0x1c,
  progressIndicator: 0x1e,
  notificationIndicator: 0x27,
  display: 0x28,
  keypadFacility: 0x2c,
  signal: 0x34,
  connectedNumber: 0x4c,
  callingPartyNumber: 0x6c,
  calledPartyNumber: 0x70,
  redirectingNumber: 0x74,
  userUser: 0x7e,
  sendingComplete: 0xa1,
} as const;

export interface InformationElement {
  /** Identifier; for single-octet IEs (bit 8 set, Q.931 4.5.1) the whole octet. */
  id: number;
  /** Contents after identifier and length (empty for single-octet IEs). */
  data: Buffer;
}

export interface Q931Message {
  /** Call reference value, 15 bits (H.225.0 7.2.2.2: two octets). */
  callReference: number;
  /** The call reference flag (Q.931 4.3): true when sent by the side that did NOT allocate it. */
  fromDestination: boolean;
  type: number;
  ies: InformationElement[];
}

export class Q931Error extends Error {
  override readonly name = 'Q931Error';
  /** Q.850 cause to answer with in a Status/ReleaseComplete (e.g. 95 invalid message, 96 mandatory IE missing, 100 invalid IE contents). */
  constructor(message: string, readonly q850Cause = 95) {
    super(message);
  }
}

/** H.225.0 7.2.2.x: the User-user IE carries a 2-octet length (PER data can exceed 255 octets). */
function hasTwoOctetLength(id: number): boolean {
  return id === IeId.userUser;
}

export function decodeQ931(buf: Uint8Array): Q931Message {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 5) throw new Q931Error(`message of ${b.length} octets is too short`);
  if (b[0] !== Q931_PROTOCOL_DISCRIMINATOR) throw new Q931Error(`protocol discriminator 0x${b[0]!.toString(16)} is not Q.931`);
  const crLength = b[1]! & 0x0f;
  if (crLength !== 2) throw new Q931Error(`call reference of ${crLength} octets (H.225.0 uses 2)`, 81);
  const fromDestination = (b[2]! & 0x80) !== 0;
  const callReference = ((b[2]! & 0x7f) << 8) | b[3]!;
  const type = b[4]!;
  if (type & 0x80) throw new Q931Error(`message type 0x${type.toString(16)} uses the reserved escape bit`, 97);
  const ies: InformationElement[] = [];
  let at = 5;
  while (at < b.length) {
    const id = b[at]!;
    if (id & 0x80) {
      // Q.931 4.5.1: single-octet IE (type 1 or 2), no length
      ies.push({ id, data: Buffer.alloc(0) });
      at += 1;
      continue;
    }
    const two = hasTwoOctetLength(id);
    const headerBytes = two ? 3 : 2;
    if (at + headerBytes > b.length) throw new Q931Error(`information element 0x${id.toString(16)} is truncated`, 100);
    const length = two ? b.readUInt16BE(at + 1) : b[at + 1]!;
    const start = at + headerBytes;
    if (start + length > b.length) throw new Q931Error(`information element 0x${id.toString(16)} claims ${length} octets, ${b.length - start} remain`, 100);
    ies.push({ id, data: Buffer.from(b.subarray(start, start + length)) });
    at = start + length;
  }
  return { callReference, fromDestination, type, ies };
}

export function encodeQ931(msg: Q931Message): Buffer {
  if (!Number.isInteger(msg.callReference) || msg.callReference < 0 || msg.callReference > 0x7fff) {
    throw new Q931Error(`call reference ${msg.callReference} is not 15 bits`);
  }
  const parts: Buffer[] = [
    Buffer.from([Q931_PROTOCOL_DISCRIMINATOR, 2, (msg.fromDestination ? 0x80 : 0) | (msg.callReference >> 8), msg.callReference & 0xff, msg.type]),
  ];
  // Q.931 4.5.1: IEs in ascending order of identifier within a codeset (single-octet ones too)
  const ordered = [...msg.ies].sort((x, y) => x.id - y.id);
  for (const ie of ordered) {
    if (ie.id & 0x80) {
      parts.push(Buffer.from([ie.id]));
      continue;
    }
    if (hasTwoOctetLength(ie.id)) {
      if (ie.data.length > 0xffff) throw new Q931Error('user-user information longer than 65535 octets');
      const h = Buffer.from([ie.id, 0, 0]);
      h.writeUInt16BE(ie.data.length, 1);
      parts.push(h, ie.data);
    } else {
      if (ie.data.length > 0xff) throw new Q931Error(`information element 0x${ie.id.toString(16)} longer than 255 octets`);
      parts.push(Buffer.from([ie.id, ie.data.length]), ie.data);
    }
  }
  return Buffer.concat(parts);
}

/** The first IE with this identifier, if any. */
export function findIe(msg: Q931Message, id: number): InformationElement | undefined {
  return msg.ies.find((ie) => ie.id === id);
}

export function messageTypeName(type: number): MessageTypeName | undefined {
  for (const [name, value] of Object.entries(MessageType)) if (value === type) return name as MessageTypeName;
  return undefined;
}

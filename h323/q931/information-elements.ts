import { IeId, Q931Error, type InformationElement } from './q931-message.ts';

/** Q.931 4.5.5 Bearer capability: what H.225.0 7.2.2.3 asks a Setup to carry. */
export interface BearerCapability {
  /** Information transfer capability: 0x00 speech, 0x08 unrestricted digital, 0x10 3.1 kHz audio, 0x18 video. */
  transferCapability: number;
  /** Information transfer rate: 0x10 64 kbit/s, 0x11 2×64, 0x13 384k, 0x15 1536k, 0x17 1920k, 0x18 multirate. */
  transferRate: number;
  /** Rate multiplier (octet 4.1), only with multirate. */
  rateMultiplier?: number;
  /** User information layer 1 protocol: 0x02 G.711 µ-law, 0x03 A-law, 0x05 H.221 and H.242. */
  layer1Protocol?: number;
}

/** A video-capable H.323 call (H.225.0 7.2.2.3): unrestricted digital, 384 kbit/s, layer 1 H.221/H.242. */
export const VIDEO_BEARER: BearerCapability = { transferCapability: 0x08, transferRate: 0x13, layer1Protocol: 0x05 };

export function bearerCapabilityIe(bc: BearerCapability): InformationElement {
  const octets = [0x80 | (bc.transferCapability & 0x1f), 0x80 | (bc.transferRate & 0x1f)];
  if (bc.transferRate === 0x18) octets.push(0x80 | ((bc.rateMultiplier ?? 1) & 0x7f));
  if (bc.layer1Protocol !== undefined) octets.push(0x80 | 0x20 | (bc.layer1Protocol & 0x1f)); // layer 1 id "01"
  return { id: IeId.bearerCapability, data: Buffer.from(octets) };
}

export function parseBearerCapability(ie: InformationElement): BearerCapability {
  const d = ie.data;
  if (d.length < 2) throw new Q931Error('bearer capability shorter than 2 octets', 100);
  const bc: BearerCapability = { transferCapability: d[0]! & 0x1f, transferRate: d[1]! & 0x1f };
  let at = 2;
  if (bc.transferRate === 0x18 && at < d.length) bc.rateMultiplier = d[at++]! & 0x7f;
  for (; at < d.length; at++) {
    if (((d[at]! >> 5) & 0x03) === 0x01) {
      bc.layer1Protocol = d[at]! & 0x1f;
      break;
    }
  }
  return bc;
}

/** Q.931 4.5.8 / Q.850 2.2.5: numbering type and plan, then IA5 digits. */
export interface PartyNumber {
  digits: string;
  /** Type of number (bits 7-5): 0 unknown, 1 international, 2 national, 4 subscriber, 6 abbreviated. */
  typeOfNumber?: number;
  /** Numbering plan (bits 4-1): 0 unknown, 1 E.164, 9 private. */
  numberingPlan?: number;
}

const DIGITS = /^[0-9*#A-Da-d+]*$/;

function partyNumberIe(id: number, n: PartyNumber): InformationElement {
  if (!DIGITS.test(n.digits)) throw new Q931Error(`"${n.digits}" is not a dialable number`, 28);
  const octet3 = 0x80 | (((n.typeOfNumber ?? 0) & 0x07) << 4) | ((n.numberingPlan ?? 1) & 0x0f);
  return { id, data: Buffer.concat([Buffer.from([octet3]), Buffer.from(n.digits, 'latin1')]) };
}

function parsePartyNumber(ie: InformationElement): PartyNumber {
  const d = ie.data;
  if (d.length < 1) throw new Q931Error('party number IE is empty', 100);
  let at = 1;
  if ((d[0]! & 0x80) === 0) at = 2; // octet 3a (presentation/screening) follows
  return { typeOfNumber: (d[0]! >> 4) & 0x07, numberingPlan: d[0]! & 0x0f, digits: d.subarray(at).toString('latin1') };
}

export const calledPartyNumberIe = (n: PartyNumber): InformationElement => partyNumberIe(IeId.calledPartyNumber, n);
export const callingPartyNumberIe = (n: PartyNumber): InformationElement => partyNumberIe(IeId.callingPartyNumber, n);
export const parseCalledPartyNumber = parsePartyNumber;
export const parseCallingPartyNumber = parsePartyNumber;

/** Q.931 4.5.16 Display: IA5 text (at most 82 octets in Q.931; H.225.0 peers send up to 128). */
export function displayIe(text: string): InformationElement {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?').slice(0, 82);
  return { id: IeId.display, data: Buffer.from(ascii, 'latin1') };
}

export function parseDisplay(ie: InformationElement): string {
  return ie.data.toString('latin1').replace(/\0+$/, '');
}

/** Q.931 4.5.18 Keypad facility: IA5 characters (DTMF digits from a terminal). */
export function keypadIe(keys: string): InformationElement {
  if (!DIGITS.test(keys)) throw new Q931Error(`"${keys}" is not keypad input`, 100);
  return { id: IeId.keypadFacility, data: Buffer.from(keys, 'latin1') };
}

export function parseKeypad(ie: InformationElement): string {
  return ie.data.toString('latin1');
}

/** Q.931 4.5.12 Cause: coding standard ITU-T, location, Q.850 cause value. */
export interface Cause {
  value: number;
  /** Q.850 2.2.3 location: 0 user, 1 private network serving the local user, … Default 0. */
  location?: number;
}

export function causeIe(c: Cause): InformationElement {
  if (!Number.isInteger(c.value) || c.value < 0 || c.value > 127) throw new Q931Error(`cause ${c.value} is not 7 bits`);
  return { id: IeId.cause, data: Buffer.from([0x80 | ((c.location ?? 0) & 0x0f), 0x80 | c.value]) };
}

export function parseCause(ie: InformationElement): Cause {
  const d = ie.data;
  if (d.length < 2) throw new Q931Error('cause IE shorter than 2 octets', 100);
  const at = d[0]! & 0x80 ? 1 : 2; // octet 3a (recommendation) when the extension bit is 0
  if (at >= d.length) throw new Q931Error('cause IE has no cause value', 100);
  return { location: d[0]! & 0x0f, value: d[at]! & 0x7f };
}

/** Q.931 4.5.23 Progress indicator: 1 "call is not end-to-end ISDN", 8 "in-band information available". */
export function progressIndicatorIe(description: number, location = 0): InformationElement {
  return { id: IeId.progressIndicator, data: Buffer.from([0x80 | (location & 0x0f), 0x80 | (description & 0x7f)]) };
}

/** Q.931 4.5.7 Call state (in Status): the state number of Table 4-6 (e.g. 10 active). */
export function callStateIe(state: number): InformationElement {
  return { id: IeId.callState, data: Buffer.from([state & 0x3f]) };
}

/**
 * H.225.0 7.2.2.x User-user: protocol discriminator 0x05 ("X.208 and X.209 coded user
 * information"), then the aligned-PER H323-UserInformation.
 */
export const USER_USER_PROTOCOL_DISCRIMINATOR = 0x05;

export function userUserIe(h323UserInformation: Uint8Array): InformationElement {
  return { id: IeId.userUser, data: Buffer.concat([Buffer.from([USER_USER_PROTOCOL_DISCRIMINATOR]), h323UserInformation]) };
}

export function parseUserUser(ie: InformationElement): Buffer {
  if (ie.data.length < 1 || ie.data[0] !== USER_USER_PROTOCOL_DISCRIMINATOR) {
    throw new Q931Error('user-user IE does not carry X.208/X.209 coded information', 100);
  }
  return ie.data.subarray(1);
}

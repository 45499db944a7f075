import { RtpDecodeError } from './errors.ts';

/** One RFC 8285 header extension element. `data` is a view into the packet. */
export interface HeaderExtensionElement {
  id: number;
  data: Buffer;
}

/** RFC 8285 4.2: "defined by profile" value of the one-byte header form. */
export const ONE_BYTE_PROFILE = 0xbede;
/** RFC 8285 4.3: the two-byte form's profile is 0x100 followed by 4 "appbits". */
export const TWO_BYTE_PROFILE_MASK = 0xfff0;
export const TWO_BYTE_PROFILE = 0x1000;

/**
 * Parse the elements of an RTP header extension block (RFC 8285). `data` is the extension
 * body after the 4-byte profile/length header. Returns [] for profiles that are not RFC 8285.
 * Throws RtpDecodeError when an element runs past the block.
 *
 * One-byte form (RFC 8285 4.2):      Two-byte form (RFC 8285 4.3):
 *  0 1 2 3 4 5 6 7                    0                   1
 * +-+-+-+-+-+-+-+-+                  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 * |  ID   |  len  |  data (len+1)    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * +-+-+-+-+-+-+-+-+                  |       ID      |     length    |  data (length)
 *                                    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export function parseHeaderExtensions(profile: number, data: Buffer): HeaderExtensionElement[] {
  const out: HeaderExtensionElement[] = [];
  if (profile === ONE_BYTE_PROFILE) {
    let i = 0;
    while (i < data.length) {
      const b = data[i]!;
      const id = b >> 4;
      if (id === 0) {
        i += 1; // RFC 8285 4.2: ID 0 is a padding byte, ignored
        continue;
      }
      if (id === 15) break; // RFC 8285 4.2: ID 15 reserved; stop processing the block
      const len = (b & 0x0f) + 1;
      if (i + 1 + len > data.length) {
        throw new RtpDecodeError('ERR_RTP_BAD_EXTENSION', `one-byte element id ${id} len ${len} overruns block of ${data.length}`);
      }
      out.push({ id, data: data.subarray(i + 1, i + 1 + len) });
      i += 1 + len;
    }
  } else if ((profile & TWO_BYTE_PROFILE_MASK) === TWO_BYTE_PROFILE) {
    let i = 0;
    while (i < data.length) {
      const id = data[i]!;
      if (id === 0) {
        i += 1; // RFC 8285 4.3: padding byte
        continue;
      }
      if (i + 2 > data.length) {
        throw new RtpDecodeError('ERR_RTP_BAD_EXTENSION', `two-byte element id ${id} truncated`);
      }
      const len = data[i + 1]!; // RFC 8285 4.3: length may be 0
      if (i + 2 + len > data.length) {
        throw new RtpDecodeError('ERR_RTP_BAD_EXTENSION', `two-byte element id ${id} len ${len} overruns block of ${data.length}`);
      }
      out.push({ id, data: data.subarray(i + 2, i + 2 + len) });
      i += 2 + len;
    }
  }
  return out;
}

/**
 * Serialise elements in the one-byte form if every id is 1..14 and every length 1..16,
 * otherwise in the two-byte form. Returns { profile, body } with body padded to 32 bits.
 */
export function serializeHeaderExtensions(elements: readonly HeaderExtensionElement[]): { profile: number; body: Buffer } {
  const oneByte = elements.every((e) => e.id >= 1 && e.id <= 14 && e.data.length >= 1 && e.data.length <= 16);
  let size = 0;
  for (const e of elements) size += (oneByte ? 1 : 2) + e.data.length;
  const body = Buffer.alloc((size + 3) & ~3); // zero bytes pad (RFC 8285 4.1)
  let o = 0;
  for (const e of elements) {
    if (oneByte) {
      body[o++] = (e.id << 4) | (e.data.length - 1);
    } else {
      if (e.id < 1 || e.id > 255 || e.data.length > 255) throw new RangeError(`extension id ${e.id}/len ${e.data.length} unencodable`);
      body[o++] = e.id;
      body[o++] = e.data.length;
    }
    e.data.copy(body, o);
    o += e.data.length;
  }
  return { profile: oneByte ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE, body };
}

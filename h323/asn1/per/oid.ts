// OBJECT IDENTIFIER contents octets as in BER (X.690 8.19), carried by PER (X.691 24).

export function encodeOidContents(arcs: number[]): Uint8Array | undefined {
  if (arcs.length < 2 || !arcs.every((a) => Number.isSafeInteger(a) && a >= 0)) return undefined;
  const [a0, a1] = arcs as [number, number];
  if (a0 > 2 || (a0 < 2 && a1 > 39)) return undefined;
  const out: number[] = [];
  const subIds = [a0 * 40 + a1, ...arcs.slice(2)]; // X.690 8.19.4
  for (const id of subIds) {
    const groups: number[] = [];
    let n = id;
    do {
      groups.unshift(n % 128);
      n = Math.floor(n / 128);
    } while (n > 0);
    groups.forEach((g, i) => out.push(i < groups.length - 1 ? g | 0x80 : g)); // 8.19.2: base 128, bit 8 = more
  }
  return Uint8Array.from(out);
}

/** Returns the arcs, or a reason string when the contents are not a valid OID. */
export function decodeOidContents(bytes: Uint8Array): number[] | string {
  if (bytes.length === 0) return 'empty OBJECT IDENTIFIER';
  const subIds: number[] = [];
  let n = 0;
  let groups = 0;
  for (const b of bytes) {
    if (groups === 0 && b === 0x80) return 'OBJECT IDENTIFIER subidentifier with leading 0x80'; // 8.19.2
    n = n * 128 + (b & 0x7f);
    groups++;
    if (groups > 7) return 'OBJECT IDENTIFIER arc too large';
    if ((b & 0x80) === 0) {
      subIds.push(n);
      n = 0;
      groups = 0;
    }
  }
  if (groups !== 0) return 'OBJECT IDENTIFIER truncated subidentifier';
  const first = subIds[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...subIds.slice(1)];
}

import { expect } from 'vitest';
import { decodeRtcpCompound, RtpDecodeError } from '../../rtp/index.ts';

/**
 * 20,000 truncated and mutated copies of `base` (a seeded LCG, so a failure reproduces): the
 * compound decoder either decodes one or throws RtpDecodeError, nothing else; some must decode.
 */
export function expectOnlyDecodeErrors(base: Buffer, seed: number): void {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  let ok = 0;
  for (let i = 0; i < 20000; i++) {
    const b = Buffer.from(base.subarray(0, (rnd() << 2) % (base.length + 1)));
    for (let k = 0; k < 2 && b.length > 0; k++) b[rnd() % b.length] = rnd();
    try {
      decodeRtcpCompound(b);
      ok++;
    } catch (err) {
      expect(err).toBeInstanceOf(RtpDecodeError);
    }
  }
  expect(ok).toBeGreaterThan(0);
}

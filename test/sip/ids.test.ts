import { describe, expect, it } from 'vitest';
import { MAGIC_COOKIE, newBranch, newCallId, newTag } from '../../sip/ids.ts';

describe('random identifiers (RFC 3261 8.1.1.4, 8.1.1.7, 19.3)', () => {
  it('tags carry 64 random bits, branches start with the magic cookie, Call-IDs name the host', () => {
    expect(newTag()).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(newBranch()).toMatch(new RegExp(`^${MAGIC_COOKIE}[A-Za-z0-9_-]{16}$`));
    expect(newCallId('gw.example')).toMatch(/^[A-Za-z0-9_-]{22}@gw\.example$/);
  });

  it('never repeats across many pool refills (each random byte is used once)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newTag()).add(newBranch());
    expect(seen.size).toBe(40_000);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { TrunkSet } from '../../gateway/trunks/trunk-set.ts';

const config = parseConfig(
  [
    'trunks:',
    '  - { name: pbx, inbound: { sources: [10.1.0.0/16, "2001:db8::/32"] }, maxConcurrentCalls: 2 }',
    "  - { name: out, outbound: { host: 127.0.0.1 }, permittedNumbers: ['^room\\d+$', '^\\+44'] }",
  ].join('\n'),
);

describe('trunk set', () => {
  it('assigns a source inside a trunk prefix to that trunk (IPv4 and IPv6)', () => {
    const trunks = new TrunkSet(config.trunks, []);
    expect(trunks.admissionFor('10.1.200.3')).toMatchObject({ allowed: true, trunk: { config: { name: 'pbx' } } });
    expect(trunks.admissionFor('2001:db8::5')).toMatchObject({ allowed: true, trunk: { config: { name: 'pbx' } } });
  });

  it('refuses other sources once any allow-list exists, unless the global list has them', () => {
    expect(new TrunkSet(config.trunks, []).admissionFor('10.2.0.1')).toEqual({ allowed: false, reason: 'source 10.2.0.1 is not in any allow-list' });
    expect(new TrunkSet(config.trunks, ['10.2.0.0/24']).admissionFor('10.2.0.1')).toEqual({ allowed: true });
  });

  it('admits everyone when no allow-list is configured', () => {
    expect(new TrunkSet([], []).admissionFor('198.51.100.7')).toEqual({ allowed: true });
  });

  it('counts concurrent calls against maxConcurrentCalls and frees slots on release', () => {
    const trunks = new TrunkSet(config.trunks, []);
    const pbx = trunks.get('pbx')!;
    expect([trunks.tryAcquire(pbx), trunks.tryAcquire(pbx), trunks.tryAcquire(pbx)]).toEqual([true, true, false]);
    trunks.release(pbx);
    expect(trunks.tryAcquire(pbx)).toBe(true);
    expect(pbx.activeCalls).toBe(2);
  });

  it('keeps call counts across a reconfiguration, releasing onto the new state', () => {
    const trunks = new TrunkSet(config.trunks, []);
    const before = trunks.get('pbx')!;
    trunks.tryAcquire(before);
    trunks.reconfigure(config.trunks.map((t) => (t.name === 'pbx' ? { ...t, maxConcurrentCalls: 1 } : t)), []);
    const after = trunks.get('pbx')!;
    expect(after.activeCalls).toBe(1);
    expect(trunks.tryAcquire(after)).toBe(false);
    trunks.release(before);
    expect(after.activeCalls).toBe(0);
  });

  it('permits dial-out only to numbers a permittedNumbers pattern matches (no open relay)', () => {
    const trunks = new TrunkSet(config.trunks, []);
    const out = trunks.get('out')!;
    expect(trunks.permitsDialOut(out, 'room12')).toBe(true);
    expect(trunks.permitsDialOut(out, '+441234')).toBe(true);
    expect(trunks.permitsDialOut(out, '0900123')).toBe(false);
    expect(trunks.permitsDialOut(trunks.get('pbx')!, 'room12')).toBe(false);
  });
});

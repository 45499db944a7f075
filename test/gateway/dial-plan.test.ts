import { describe, expect, it } from 'vitest';
import { DialPlan, userPartOf } from '../../gateway/dial-plan.ts';

describe('dial plan', () => {
  const plan = new DialPlan([
    { match: '^99(\\d{4})$', room: 'vmr-$1' },
    { match: '^(?<room>[A-Za-z0-9_.~-]+)$', room: '$<room>' },
  ]);

  it('takes the first matching rule and substitutes its groups', () => {
    expect(plan.resolve('991234')).toEqual({ kind: 'room', roomId: 'vmr-1234' });
    expect(plan.resolve('demo')).toEqual({ kind: 'room', roomId: 'demo' });
  });

  it('returns nothing when no rule matches', () => {
    expect(plan.resolve('bad room!')).toBeUndefined();
  });

  it('reads the user part of SIP URIs, percent-decoded (RFC 3261 19.1.2)', () => {
    expect(userPartOf('sip:demo@127.0.0.1')).toBe('demo');
    expect(userPartOf('<sips:my%20room@gw.example;transport=tls>')).toBe('my room');
    expect(userPartOf('sip:127.0.0.1')).toBeUndefined();
  });
});

describe('dial plan targets', () => {
  const plan = new DialPlan([
    { match: '^9(\\d+)$', rewrite: '$1', target: { trunk: ['a', 'b'] } },
    { match: '^0(\\d+)$', rewrite: 'vmr$1', target: { room: '$1' } },
    { match: '^(?<room>[a-z]+)$', target: { room: 'r-$<room>' } },
  ]);

  it('resolves trunk targets with the rewritten number, in failover order', () => {
    expect(plan.resolve('9123')).toEqual({ kind: 'trunk', trunks: ['a', 'b'], number: '123' });
  });

  it('resolves room targets by substituting the match groups', () => {
    expect(plan.resolve('0777')).toEqual({ kind: 'room', roomId: '777' });
    expect(plan.resolve('demo')).toEqual({ kind: 'room', roomId: 'r-demo' });
  });

  it('finds dial-out routes past room rules', () => {
    const mixed = new DialPlan([
      { match: '^(.+)$', room: '$1' },
      { match: '^(\\d+)$', target: { trunk: 'a' } },
    ]);
    expect(mixed.resolve('123')).toEqual({ kind: 'room', roomId: '123' });
    expect(mixed.resolveDialOut('123')).toEqual({ kind: 'trunk', trunks: ['a'], number: '123' });
    expect(mixed.resolveDialOut('abc')).toBeUndefined();
  });
});

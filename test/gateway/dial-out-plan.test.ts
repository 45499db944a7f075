import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { planDialOut } from '../../gateway/dial-out-plan.ts';
import { DialPlan } from '../../gateway/dial-plan.ts';
import { TrunkSet } from '../../gateway/trunks/trunk-set.ts';

const config = parseConfig(
  [
    'trunks:',
    "  - { name: a, outbound: { host: 127.0.0.1, port: 5071 }, permittedNumbers: ['^\\d+$'] }",
    "  - { name: b, outbound: { host: 127.0.0.1, port: 5072 }, permittedNumbers: ['^\\d{4}$'] }",
    '  - { name: in-only, inbound: { sources: [10.0.0.0/8] } }',
    'dialPlan:',
    "  - { match: '^9(\\d+)$', rewrite: '$1', target: { trunk: [a, b] } }",
    "  - { match: '^(.+)$', target: { room: '$1' } }",
  ].join('\n'),
);
const plan = (request: Parameters<typeof planDialOut>[0]) => planDialOut(request, new DialPlan(config.dialPlan), new TrunkSet(config.trunks, []));
const names = (p: ReturnType<typeof plan>) => (p.ok ? p.trunks.map((t) => t.config.name) : p);

describe('dial-out planning', () => {
  it('routes through the dial plan: rewrite, then every trunk permitting the number, in order', () => {
    const p = plan({ meeting: 'demo', to: 'sip:91234@10.1.1.5' });
    expect(p).toMatchObject({ ok: true, number: '1234' });
    expect(names(p)).toEqual(['a', 'b']);
    expect(names(plan({ meeting: 'demo', to: '9123456' }))).toEqual(['a']);
  });

  it('uses an explicitly named trunk as is, still checking its permitted numbers', () => {
    expect(names(plan({ meeting: 'demo', to: 'sip:5555@10.1.1.5', trunk: 'b' }))).toEqual(['b']);
    expect(plan({ meeting: 'demo', to: 'sip:room1@10.1.1.5', trunk: 'b' })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses unknown or inbound-only trunks, unroutable numbers and bad requests', () => {
    expect(plan({ meeting: 'demo', to: 'sip:1@h', trunk: 'in-only' })).toMatchObject({ ok: false, status: 404 });
    expect(plan({ meeting: 'demo', to: 'sip:1@h', trunk: 'zzz' })).toMatchObject({ ok: false, status: 404 });
    expect(plan({ meeting: 'demo', to: 'sip:lobby@h' })).toMatchObject({ ok: false, status: 404 });
    expect(plan({ meeting: 'bad room', to: 'sip:1@h', trunk: 'a' })).toMatchObject({ ok: false, status: 400 });
    expect(plan({ meeting: 'demo', to: 'sip:10.1.1.5', trunk: 'a' })).toMatchObject({ ok: false, status: 400 });
  });
});

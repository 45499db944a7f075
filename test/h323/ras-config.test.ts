// config: the optional h323 section (gatekeepers configured like trunks, the RAS socket).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema, h323Schema, parseConfig } from '../../config/index.ts';

describe('config h323 section', () => {
  it('is absent (RAS off) in the shipped default.yaml, whose example is commented', () => {
    const text = readFileSync('config/default.yaml', 'utf8');
    expect(parseConfig(text).h323).toBeUndefined();
    expect(text).toMatch(/^# h323:$/m);
  });

  it('fills every gatekeeper default: port 1719, TTL 300 s, no discovery, 3000 ms x 2 retries', () => {
    const c = configSchema.parse({ h323: { gatekeepers: [{ name: 'gk1', host: '192.0.2.10' }] } });
    expect(c.h323).toEqual({
      gatekeepers: [{
        name: 'gk1', host: '192.0.2.10', port: 1719, aliases: { h323Id: [], e164: [] }, prefixes: [], timeToLiveS: 300,
        discovery: false, rasTimeoutMs: 3000, rasRetries: 2, reregisterBackoffMs: 10_000,
      }],
      ras: { bind: '0.0.0.0', port: 1719 },
      signalling: { enabled: false, bind: '0.0.0.0', port: 1720 },
      dialOut: { permitted: [], video: false },
    });
  });

  it('h323.dialOut.permitted: regular expressions only (default none: no H.323 dial-out)', () => {
    expect(h323Schema.parse({ dialOut: { permitted: ['room[0-9]+@10\\.1\\.1\\.5'] } }).dialOut.permitted).toHaveLength(1);
    expect(() => h323Schema.parse({ dialOut: { permitted: ['room(['] } })).toThrow(/not a regular expression/);
  });

  it('takes aliases, prefixes and timers', () => {
    const h = h323Schema.parse({
      ras: { bind: '127.0.0.1', port: 0 },
      gatekeepers: [{ name: 'gk', host: 'gk.example', port: 1720, aliases: { h323Id: ['roomgate'], e164: ['4400'] }, prefixes: ['44', '0049#'], timeToLiveS: 60, discovery: true, rasTimeoutMs: 500, rasRetries: 0 }],
    });
    expect(h.gatekeepers[0]).toMatchObject({ aliases: { h323Id: ['roomgate'], e164: ['4400'] }, prefixes: ['44', '0049#'], rasRetries: 0 });
    expect(h.ras.port).toBe(0);
  });

  it.each([
    ['an unknown field', { gatekeepers: [{ name: 'gk', host: 'h', ttl: 5 }] }, 'ttl'],
    ['a non-digit E.164 alias', { gatekeepers: [{ name: 'gk', host: 'h', aliases: { e164: ['44a'] } }] }, 'digits'],
    ['a non-digit prefix', { gatekeepers: [{ name: 'gk', host: 'h', prefixes: ['+44'] }] }, 'digits'],
    ['gatekeeper port 0', { gatekeepers: [{ name: 'gk', host: 'h', port: 0 }] }, '1-65535'],
    ['duplicate names', { gatekeepers: [{ name: 'gk', host: 'a' }, { name: 'gk', host: 'b' }] }, 'duplicate gatekeeper name'],
    ['a negative retry count', { gatekeepers: [{ name: 'gk', host: 'h', rasRetries: -1 }] }, 'rasRetries'],
  ])('refuses %s', (_, input, text) => {
    const r = h323Schema.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(text);
  });
});

// config: h323.signalling, the H.225.0 call signalling listener (issue #5).
import { describe, expect, it } from 'vitest';
import { h323Schema, parseConfig } from '../../config/index.ts';

describe('config h323.signalling', () => {
  it('is off by default, on 0.0.0.0:1720', () => {
    expect(h323Schema.parse({}).signalling).toEqual({ enabled: false, bind: '0.0.0.0', port: 1720 });
  });

  it('takes enabled, bind and port (0 = any free port) from YAML', () => {
    const c = parseConfig('h323:\n  signalling: { enabled: true, bind: 127.0.0.1, port: 0 }\n');
    expect(c.h323?.signalling).toEqual({ enabled: true, bind: '127.0.0.1', port: 0 });
    expect(c.h323?.gatekeepers).toEqual([]);
  });

  it.each([
    ['a port above 65535', { signalling: { port: 70000 } }],
    ['an unknown field', { signalling: { enabled: true, tunnel: false } }],
    ['a non-boolean enabled', { signalling: { enabled: 'yes' } }],
  ])('refuses %s', (_, input) => {
    expect(h323Schema.safeParse(input).success).toBe(false);
  });
});

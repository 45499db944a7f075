import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { errorOf } from './config-error.ts';


describe('config loading', () => {
  it('accepts the shipped default.yaml and applies defaults', () => {
    const config = parseConfig(readFileSync('config/default.yaml', 'utf8'));
    expect(config.sip.port).toBe(5060);
    expect(config.codecs.audio).toEqual(['opus', 'G722', 'PCMU', 'PCMA']);
    expect(config.dialPlan[0]!.target).toEqual({ room: '$1' });
  });

  it('accepts an empty file (every field has a default)', () => {
    expect(parseConfig('').meeting.url).toBe('ws://127.0.0.1:4443/ws');
  });

  it('names the key and line of a value of the wrong type', () => {
    const err = errorOf('sip:\n  bind: 127.0.0.1\n  port: "fifty"\n');
    expect(err.key).toBe('sip.port');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^test\.yaml:3: sip\.port: /);
  });

  it('names an unknown key and its line', () => {
    const err = errorOf('sip:\n  port: 5070\nmedia:\n  portRnage: { min: 1, max: 2 }\n');
    expect(err.key).toBe('media.portRnage');
    expect(err.line).toBe(4);
    expect(err.message).toContain('unknown key "portRnage"');
  });

  it('names an invalid dial plan regular expression', () => {
    const err = errorOf('dialPlan:\n  - match: "(["\n    room: x\n');
    expect(err.key).toBe('dialPlan.0.match');
    expect(err.line).toBe(2);
  });

  it('reports YAML syntax errors with a line', () => {
    const err = errorOf('sip:\n  port: [5060\n');
    expect(err.message).toMatch(/YAML syntax error/);
    expect(err.line).toBeGreaterThan(0);
  });
});

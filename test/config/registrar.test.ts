import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { errorOf } from './config-error.ts';


describe('registrar config', () => {
  it('is disabled by default, challenges MD5 only, 60..3600 s', () => {
    const r = parseConfig(readFileSync('config/default.yaml', 'utf8')).registrar;
    expect(r).toEqual({ enabled: false, realm: 'roomgate', domains: [], users: [], algorithms: ['MD5'], minExpiresS: 60, maxExpiresS: 3600 });
    expect(parseConfig('').registrar.enabled).toBe(false);
  });

  it('accepts users and SHA-256', () => {
    const r = parseConfig('registrar:\n  enabled: true\n  users: [{ username: room1, password: s3cret }]\n  algorithms: [SHA-256, MD5]\n').registrar;
    expect(r.users).toEqual([{ username: 'room1', password: 's3cret' }]);
    expect(r.algorithms).toEqual(['SHA-256', 'MD5']);
  });

  it('refuses an enabled registrar without users (no open registrar), naming key and line', () => {
    const err = errorOf('sip: { port: 5070 }\nregistrar:\n  enabled: true\n');
    expect(err.key).toBe('registrar.users');
    expect(err.message).toMatch(/^test\.yaml:3: registrar\.users: an enabled registrar needs at least one user/);
  });

  it('refuses minExpiresS above maxExpiresS, unknown algorithms and duplicate users', () => {
    expect(errorOf('registrar:\n  minExpiresS: 600\n  maxExpiresS: 60\n').message).toMatch(/^test\.yaml:2: registrar\.minExpiresS: must not exceed maxExpiresS/);
    expect(errorOf('registrar:\n  algorithms: [SHA-1]\n').key).toBe('registrar.algorithms.0');
    const dup = errorOf('registrar:\n  users:\n    - { username: a, password: x }\n    - { username: a, password: y }\n');
    expect(dup.key).toBe('registrar.users.1.username');
    expect(dup.line).toBe(4);
  });
});

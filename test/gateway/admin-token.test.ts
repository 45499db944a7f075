import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminTokenPath, bearerMatches, resolveAdminToken } from '../../gateway/admin-token.ts';

describe('admin token', () => {
  it('creates the token file at first start with mode 0600 and reuses it afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roomgate-token-'));
    const configPath = join(dir, 'gateway.yaml');
    const token = resolveAdminToken({ tokenFile: 'admin-token' }, configPath);
    const path = adminTokenPath({ tokenFile: 'admin-token' }, configPath);
    expect(path).toBe(join(dir, 'admin-token'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(token);
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(resolveAdminToken({ tokenFile: 'admin-token' }, configPath)).toBe(token);
  });

  it('prefers admin.token and does not create a file when reading for the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roomgate-token-'));
    expect(resolveAdminToken({ token: 'x'.repeat(16), tokenFile: 'admin-token' }, join(dir, 'c.yaml'))).toBe('x'.repeat(16));
    expect(() => resolveAdminToken({ tokenFile: 'missing' }, join(dir, 'c.yaml'), false)).toThrow(/ENOENT/);
    writeFileSync(join(dir, 'given'), 'abc\n');
    expect(resolveAdminToken({ tokenFile: join(dir, 'given') }, '/elsewhere/c.yaml')).toBe('abc');
  });

  it('matches only `Bearer <token>` exactly (RFC 6750 2.1)', () => {
    expect(bearerMatches('Bearer s3cret', 's3cret')).toBe(true);
    expect(bearerMatches('bearer s3cret', 's3cret')).toBe(true);
    expect(bearerMatches('Bearer s3cre', 's3cret')).toBe(false);
    expect(bearerMatches('Basic s3cret', 's3cret')).toBe(false);
    expect(bearerMatches(undefined, 's3cret')).toBe(false);
  });
});

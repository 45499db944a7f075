import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/** Where the admin token comes from: `admin.token`, else `admin.tokenFile` (relative to the config). */
export function adminTokenPath(admin: { tokenFile: string }, configPath: string): string {
  return isAbsolute(admin.tokenFile) ? admin.tokenFile : resolve(dirname(configPath), admin.tokenFile);
}

/**
 * The admin API's bearer token: `admin.token` when set; otherwise read from the token file,
 * which is created with a random 256-bit token and mode 0600 at first start.
 */
export function resolveAdminToken(admin: { token?: string; tokenFile: string }, configPath: string, create = true): string {
  if (admin.token) return admin.token;
  const path = adminTokenPath(admin, configPath);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing.length > 0) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
  }
  const token = randomBytes(32).toString('base64url');
  mkdirSync(dirname(path), { recursive: true });
  // 'wx': never overwrite a token another process just wrote.
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

/** RFC 6750 2.1: `Authorization: Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

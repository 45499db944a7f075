/** Random identifiers: tags, Call-IDs and branches (RFC 3261 8.1.1.4, 8.1.1.7, 19.3). */
import { randomBytes } from 'node:crypto';

/** RFC 3261 8.1.1.7: branch values of compliant elements start with the magic cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function newBranch(): string {
  return MAGIC_COOKIE + token(12);
}

/** RFC 3261 19.3: a tag has at least 32 bits of randomness. */
export function newTag(): string {
  return token(8);
}

export function newCallId(host: string): string {
  return `${token(16)}@${host}`;
}

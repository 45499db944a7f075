import { z } from 'zod';

/**
 * The gateway's own registrar (RFC 3261 10.3; issue #3): room terminals REGISTER with digest auth
 * so that operators can dial them by name (`roomgate dial --to <name>`). Every field states its
 * unit and default; see config/default.yaml for an annotated example.
 */
export const registrarSchema = z
  .object({
    /** Accept REGISTER requests; when false REGISTER gets 405. Default false. */
    enabled: z.boolean().default(false),
    /** Digest realm of the 401 challenges (RFC 3261 22.1). Default "roomgate". */
    realm: z.string().min(1).default('roomgate'),
    /**
     * Domains whose AORs we hold (host of the REGISTER's Request-URI and To; RFC 3261 10.3 step 1).
     * Default [] = any domain; with exactly one domain a bare user name identifies the AOR.
     */
    domains: z.array(z.string().min(1)).default([]),
    /** Terminals allowed to register, each for the AOR with its own name as user part. Required when enabled. */
    users: z.array(z.object({ username: z.string().regex(/^[A-Za-z0-9_.~-]+$/, 'letters, digits, "_", ".", "~" and "-" only'), password: z.string().min(1) }).strict()).default([]),
    /**
     * Digest algorithms challenged, most preferred first (RFC 8760 2.4). Default [MD5]: baresip 1.0
     * (libre) cannot answer a 401 that offers SHA-256 at all; SHA-256 (and SHA-512-256) are
     * available for terminals that support them.
     */
    algorithms: z.array(z.enum(['SHA-256', 'SHA-512-256', 'MD5'])).min(1).default(['MD5']),
    /** Shortest registration interval accepted, s; shorter gets 423 with Min-Expires (RFC 3261 10.3 step 7). Default 60. */
    minExpiresS: z.number().int().positive().default(60),
    /** Longest registration interval granted, s; longer requests are shortened. Default 3600. */
    maxExpiresS: z.number().int().positive().default(3600),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.minExpiresS > r.maxExpiresS) ctx.addIssue({ code: 'custom', path: ['minExpiresS'], message: 'must not exceed maxExpiresS' });
    // No open registrar: with authentication mandatory, only configured terminals are reachable by name.
    if (r.enabled && r.users.length === 0) ctx.addIssue({ code: 'custom', path: ['users'], message: 'an enabled registrar needs at least one user' });
    const seen = new Set<string>();
    r.users.forEach((u, i) => {
      if (seen.has(u.username)) ctx.addIssue({ code: 'custom', path: ['users', i, 'username'], message: `duplicate user "${u.username}"` });
      seen.add(u.username);
    });
  });

export type RegistrarConfig = z.infer<typeof registrarSchema>;

import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Trunks: the SIP peers the gateway trusts inbound and dials out through (issue #3). Every field
 * states its unit and default; see config/default.yaml for an annotated example.
 */

const port = z.number().int().min(1).max(65535);

/** SRTP policy of a leg (gateway/sdp/sdes.ts): off | optional | required. */
export const srtpPolicy = z.enum(['off', 'optional', 'required']);

/** SRTP crypto suites the gateway implements (rtp/srtp/suites.ts). */
export const srtpSuiteName = z.enum(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM']);

/** An IPv4 or IPv6 prefix in CIDR notation ("10.0.0.0/8", "2001:db8::/32") or a bare address. */
export const cidr = z.string().refine(isValidCidr, { message: 'not a valid CIDR prefix (e.g. 10.0.0.0/8 or 2001:db8::/32)' });

export function isValidCidr(text: string): boolean {
  const [address, bits, extra] = text.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export function isValidRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export const regexSource = z.string().refine(isValidRegExp, { message: 'not a valid regular expression' });

const inboundSchema = z
  .object({
    /** Source addresses (CIDR) whose requests belong to this trunk. Default [] (match by auth only). */
    sources: z.array(cidr).default([]),
    /** Digest realm this trunk's callers authenticate in (RFC 7616). Optional. */
    realm: z.string().min(1).optional(),
    /** Users allowed to authenticate in `realm`, with their passwords. Default [] (no auth). */
    users: z.array(z.object({ username: z.string().min(1), password: z.string().min(1) }).strict()).default([]),
    /**
     * Digest algorithms challenged, most preferred first, one WWW-Authenticate each (RFC 8760 2.4).
     * Default [SHA-256, MD5]; terminals that only understand a single MD5 challenge need [MD5].
     */
    algorithms: z.array(z.enum(['SHA-256', 'SHA-512-256', 'MD5'])).min(1).default(['SHA-256', 'MD5']),
    /**
     * SRTP (SDES, RFC 4568) policy for calls from this trunk: off | optional | required.
     * Default: `outbound.srtp` when the trunk has an outbound section, else `media.srtp`.
     */
    srtp: srtpPolicy.optional(),
  })
  .strict();

const keepaliveSchema = z
  .object({
    /** Seconds between out-of-dialog OPTIONS probes (RFC 3261 11); 0 disables. Default 0. */
    intervalS: z.number().min(0).default(0),
    /** Consecutive failed probes (timeout or 5xx) before the trunk is marked down. Default 3. */
    failureThreshold: z.number().int().positive().default(3),
  })
  .strict();

/** One registrar of a trunk's failover list. */
const registrarHostSchema = z
  .object({
    /** Host name or address of the registrar. Required. */
    host: z.string().min(1),
    /** SIP port of the registrar. Default 5060. */
    port: port.default(5060),
  })
  .strict();

/**
 * Outbound registration of the trunk at its upstream registrar(s) (RFC 3261 10.2), with the
 * trunk's `credentials`. Optional: no REGISTER is sent when absent.
 */
const registerSchema = z
  .object({
    /** false keeps the section but sends no REGISTER. Default true. */
    enabled: z.boolean().default(true),
    /** User part of the address-of-record (To/From). Default credentials.username, else fromUser. */
    user: z.string().min(1).optional(),
    /** Host part of the address-of-record. Default the first registrar's host. */
    domain: z.string().min(1).optional(),
    /** Binding lifetime asked for, s (RFC 3261 10.2.1.1); refreshes follow what the registrar grants. Default 3600. */
    expiresS: z.number().int().positive().default(3600),
    /**
     * Registrars in failover order (5xx, 408/timeout, 403 move to the next), all over the trunk's
     * transport. Default: the trunk's own host and port only.
     */
    registrars: z.array(registrarHostSchema).min(1).optional(),
    /** Wait after every registrar failed, s; doubles per failed round up to retryMaxS. Default 30. */
    retryS: z.number().positive().default(30),
    /** Longest wait between failed rounds, s. Default 600. */
    retryMaxS: z.number().positive().default(600),
    /** While registered at a backup registrar, try the first one again after this many s. Default 300. */
    primaryRetryS: z.number().positive().default(300),
  })
  .strict()
  .refine((r) => r.retryMaxS >= r.retryS, { message: 'retryMaxS must be at least retryS', path: ['retryMaxS'] });

const outboundSchema = z
  .object({
    /** Host name or address of the trunk's SIP peer. Required. */
    host: z.string().min(1),
    /** SIP port of the peer. Default 5060. */
    port: port.default(5060),
    /** Transport toward the peer. Default udp. (tls needs the TLS transport of issue #3's sip/ part.) */
    transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
    /** Digest credentials answered to 401/407 challenges (RFC 3261 22.2). Optional. */
    credentials: z
      .object({ username: z.string().min(1), password: z.string().min(1), realm: z.string().min(1).optional() })
      .strict()
      .optional(),
    /** Codecs offered through this trunk, in preference order. Default audio [G722, PCMU, PCMA, opus] (wideband first), video [H264]. */
    codecs: z
      .object({
        audio: z.array(z.enum(['opus', 'G722', 'PCMU', 'PCMA'])).min(1).default(['G722', 'PCMU', 'PCMA', 'opus']),
        video: z.array(z.enum(['H264'])).default(['H264']),
      })
      .strict()
      .default({ audio: ['G722', 'PCMU', 'PCMA', 'opus'], video: ['H264'] }),
    /**
     * SRTP (SDES, RFC 4568) policy of our offers through this trunk, and of calls from it unless
     * `inbound.srtp` says otherwise: off = plain RTP/AVP; optional = RTP/AVP with crypto
     * attributes, SRTP if the answer accepts one; required = RTP/SAVP, plain offers refused 488.
     * Default off.
     */
    srtp: srtpPolicy.default('off'),
    /**
     * SRTP crypto suites offered through this trunk (RFC 4568 / RFC 7714 names), most preferred
     * first. Default: with srtp required all four (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32,
     * AEAD_AES_128_GCM, AEAD_AES_256_GCM); with optional only AES_CM_128_HMAC_SHA1_80 (small INVITEs).
     */
    srtpSuites: z.array(srtpSuiteName).min(1).optional(),
    /** OPTIONS keepalive with up/down state. Default disabled. */
    keepalive: keepaliveSchema.default({ intervalS: 0, failureThreshold: 3 }),
    /** User part of the From URI of our INVITEs. Default "roomgate". */
    fromUser: z.string().min(1).default('roomgate'),
    /** Keep the gateway registered at the trunk's registrar(s) (see registerSchema). Optional. */
    register: registerSchema.optional(),
  })
  .strict();

export const trunkSchema = z
  .object({
    /** Unique name, used by dial plan rules, the admin API and logs. Required. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
    /** How inbound requests are recognised as this trunk's. Optional (outbound-only trunk). */
    inbound: inboundSchema.optional(),
    /** Where and how to dial out. Optional (inbound-only trunk). */
    outbound: outboundSchema.optional(),
    /** Concurrent calls (both directions) allowed; 0 = unlimited. Default 0. */
    maxConcurrentCalls: z.number().int().min(0).default(0),
    /**
     * Regular expressions the dialled user part must match to dial out through this trunk
     * (no open relay). Default [] = no dial-out through this trunk.
     */
    permittedNumbers: z.array(regexSource).default([]),
  })
  .strict();

export type TrunkConfig = z.infer<typeof trunkSchema>;
export type TrunkRegisterConfig = z.infer<typeof registerSchema>;

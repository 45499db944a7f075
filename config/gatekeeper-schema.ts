import { z } from 'zod';

/**
 * H.323 side of the gateway (issue #5): the gatekeepers it registers with as a RAS endpoint
 * (H.225.0 clause 7), configured like trunks, the local RAS socket and the call signalling listener. Every field states its
 * unit and default; see config/default.yaml for an annotated example.
 */

const port = z.number().int().min(0).max(65535);

/** dialledDigits characters (H.225.0 AliasAddress: 0-9 # * ,). */
const digits = z.string().regex(/^[0-9#*,]{1,128}$/, 'digits 0-9, "#", "*" and "," only');

export const gatekeeperSchema = z
  .object({
    /** Unique name, used by the dial plan, the admin API and logs. Required. */
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
    /** Gatekeeper address (IPv4 literal or host name resolved at start). Required. */
    host: z.string().min(1),
    /** Gatekeeper RAS port (H.225.0: well-known UDP 1719). Default 1719. */
    port: port.refine((p) => p > 0, 'must be 1-65535').default(1719),
    /** Gatekeeper identifier to register with; learnt from GCF when `discovery` is on. Optional. */
    gatekeeperId: z.string().min(1).max(128).optional(),
    /** Our aliases in the RRQ terminalAlias: h323-IDs (names) and E.164 numbers (dialledDigits). Default none. */
    aliases: z
      .object({
        /** h323-ID aliases (BMPString, 1-256 characters). Default []. */
        h323Id: z.array(z.string().min(1).max(256)).default([]),
        /** E.164 aliases as dialledDigits. Default []. */
        e164: z.array(digits).default([]),
      })
      .strict()
      .default({ h323Id: [], e164: [] }),
    /** Dialling prefixes announced as a gateway (RRQ terminalType.gateway supportedPrefixes). Default []. */
    prefixes: z.array(digits).default([]),
    /** Registration lifetime asked for in the RRQ, s; lightweight keepalive RRQs go before it ends; 0 = none. Default 300. */
    timeToLiveS: z.number().int().min(0).max(4_294_967_295).default(300),
    /** Send GRQ (unicast to `host`) before registering. Default false. */
    discovery: z.boolean().default(false),
    /** RAS request timeout before a retransmission, ms (H.225.0 recommends 3 s). Default 3000. */
    rasTimeoutMs: z.number().int().positive().default(3000),
    /** Retransmissions of an unanswered RAS request (H.225.0 recommends 2). Default 2. */
    rasRetries: z.number().int().min(0).max(10).default(2),
    /** Wait before registering again after a failure or the gatekeeper's URQ, ms. Default 10000. */
    reregisterBackoffMs: z.number().int().positive().default(10_000),
  })
  .strict();

export const h323Schema = z
  .object({
    /** Register with these gatekeepers (unique names). Default [] (no gatekeeper: direct calls only). */
    gatekeepers: z.array(gatekeeperSchema).default([]),
    /** Local RAS socket (UDP). */
    ras: z
      .object({
        /** Address the RAS socket binds to. Default 0.0.0.0. */
        bind: z.string().min(1).default('0.0.0.0'),
        /** RAS port; 0 = any free port (the RRQ announces the one bound). Default 1719. */
        port: port.default(1719),
      })
      .strict()
      .default({ bind: '0.0.0.0', port: 1719 }),
    /** H.225.0 call signalling listener (TCP): rooms call the gateway directly (issue #5). */
    signalling: z
      .object({
        /** Accept incoming H.323 calls. Default false. */
        enabled: z.boolean().default(false),
        /** Address the call signalling listener binds to. Default 0.0.0.0. */
        bind: z.string().min(1).default('0.0.0.0'),
        /** TCP port (H.225.0: well-known 1720); 0 = any free port. Default 1720. */
        port: port.default(1720),
      })
      .strict()
      .default({ enabled: false, bind: '0.0.0.0', port: 1720 }),
    /**
     * H.323 dial-out (`roomgate dial --to h323:alias@host[:port]`): no open relay, only targets
     * (the text after "h323:") one of these regular expressions matches in full. Default [] (none).
     */
    dialOut: z
      .object({
        permitted: z.array(z.string().refine((r) => { try { new RegExp(r); return true; } catch { return false; } }, 'not a regular expression')).default([]),
        /** Propose H.264 video (fastStart) too, and join the meeting with video. Default false (audio only). */
        video: z.boolean().default(false),
      })
      .strict()
      .default({ permitted: [], video: false }),
  })
  .strict()
  .superRefine((h, ctx) => {
    const seen = new Set<string>();
    h.gatekeepers.forEach((g, i) => {
      if (seen.has(g.name)) ctx.addIssue({ code: 'custom', path: ['gatekeepers', i, 'name'], message: `duplicate gatekeeper name "${g.name}"` });
      seen.add(g.name);
    });
  });

export type GatekeeperConfig = z.infer<typeof gatekeeperSchema>;
export type H323Config = z.infer<typeof h323Schema>;

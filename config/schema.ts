import { z } from 'zod';
import { h323Schema } from './gatekeeper-schema.ts';
import { registrarSchema } from './registrar-schema.ts';
import { cidr, regexSource, srtpPolicy, trunkSchema } from './trunk-schema.ts';

/**
 * The gateway's configuration. Every field states its unit and default; `config/default.yaml`
 * is the annotated example that `npm start` loads.
 */

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

const sipTimers = z
  .object({
    /** RFC 3261 17.1.1.1 T1, round-trip estimate, ms. Default 500. */
    t1Ms: z.number().int().positive().default(500),
    /** RFC 3261 17.1.2.2 T2, maximum non-INVITE retransmit interval, ms. Default 4000. */
    t2Ms: z.number().int().positive().default(4000),
    /** RFC 3261 17.1.2.2 T4, maximum duration a message remains in the network, ms. Default 5000. */
    t4Ms: z.number().int().positive().default(5000),
  })
  .strict();

export const sipSchema = z
  .object({
    /** Address the SIP UDP and TCP transports bind to. Default 0.0.0.0. */
    bind: host.default('0.0.0.0'),
    /** SIP port for UDP and TCP. Default 5060. */
    port: port.default(5060),
    /** Host written in Via/Contact; `auto` picks the first non-loopback IPv4 address. Default auto. */
    advertisedAddress: host.default('auto'),
    /** Enabled transports. Default [udp, tcp]. */
    transports: z.array(z.enum(['udp', 'tcp'])).min(1).default(['udp', 'tcp']),
    timers: sipTimers.default({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 }),
    /** User-Agent / Server header value. Default "roomgate". */
    userAgent: z.string().default('roomgate'),
    /**
     * Sources (CIDR) allowed to send requests, besides each trunk's `inbound.sources`. When this
     * or any trunk has a source list, other sources get 403. Default [] (no global list).
     */
    allowedSources: z.array(cidr).default([]),
    /** SIP over TLS (RFC 3261 26.2; also used by trunks with transport tls). Optional: off when absent. */
    tls: z
      .object({
        /** TLS listen port. Default 5061. */
        port: port.default(5061),
        /** PEM certificate chain presented to peers. Required. */
        certFile: z.string().min(1),
        /** PEM private key of certFile. Required. */
        keyFile: z.string().min(1),
        /** PEM CA bundle to verify peers; default Node's public roots. Optional. */
        caFile: z.string().min(1).optional(),
        /** Verify servers' certificates when connecting (chain and name). Default true. */
        verifyPeer: z.boolean().default(true),
      })
      .strict()
      .optional(),
    /** SIP over WebSocket (RFC 7118). Optional: off when absent. */
    ws: z
      .object({
        /** Listen port. Default 8080. */
        port: port.default(8080),
        /** HTTP path of the upgrade. Default "/". */
        path: z.string().startsWith('/').default('/'),
      })
      .strict()
      .optional(),
    /** Per-source token bucket applied before parsing; `false` disables. Default 1000 msg/s, burst 2000. */
    rateLimit: z
      .union([
        z.literal(false),
        z
          .object({
            /** Sustained messages per second per source address. Default 1000. */
            perSourcePerSecond: z.number().positive().default(1000),
            /** Messages a source may send at once above the sustained rate. Default 2000. */
            burst: z.number().int().positive().default(2000),
          })
          .strict(),
      ])
      .default({ perSourcePerSecond: 1000, burst: 2000 }),
  })
  .strict();

export const mediaSchema = z
  .object({
    /** Address the legacy-side RTP sockets bind to. Default 0.0.0.0. */
    bind: host.default('0.0.0.0'),
    /** Address written in SDP c= lines; `auto` as for sip.advertisedAddress. Default auto. */
    advertisedAddress: host.default('auto'),
    /** UDP port range for RTP/RTCP pairs toward rooms, inclusive. Default 20000-29999. */
    portRange: z
      .object({ min: port.default(20000), max: port.default(29999) })
      .strict()
      .refine((r) => r.min < r.max, { message: 'portRange.min must be below portRange.max' })
      .default({ min: 20000, max: 29999 }),
    /** Seconds without RTP or RTCP from a room (not on hold) before the gateway hangs up; 0 disables. Default 60. */
    mediaTimeoutS: z.number().min(0).default(60),
    /**
     * Media worker threads, each owning whole calls (room RTP, codecs, the WebRTC leg) and the
     * shared mix of its meetings; `auto` = one per core (os.availableParallelism()), 0 = run the
     * media in the control thread. Default auto.
     */
    workers: z.union([z.literal('auto'), z.number().int().min(0).max(256)]).default('auto'),
    /**
     * SRTP (SDES, RFC 4568) policy of calls not on a trunk (rooms dialling in directly,
     * registered terminals dialled out): off = RTP/SAVP offers get 488; optional = SRTP when the
     * offer carries a supported crypto attribute, plain otherwise; required = plain offers get 488.
     * Default optional.
     */
    srtp: srtpPolicy.default('optional'),
  })
  .strict();

export const audioCodec = z.enum(['opus', 'G722', 'PCMU', 'PCMA']);
export const videoCodec = z.enum(['H264']);

export const codecsSchema = z
  .object({
    /**
     * Audio codecs the gateway accepts from rooms. The answer follows the room's order, except that
     * G.722 (wideband) is taken over G.711 when both are offered and listed. Default [opus, G722, PCMU, PCMA].
     */
    audio: z.array(audioCodec).min(1).default(['opus', 'G722', 'PCMU', 'PCMA']),
    /** Video codecs accepted from rooms. Empty disables video. Default [H264]. */
    video: z.array(videoCodec).default(['H264']),
  })
  .strict();

export const meetingSchema = z
  .object({
    /** WebSocket signalling URL of the meeting service (PROTOCOL.md). Default ws://127.0.0.1:4443/ws. */
    url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').default('ws://127.0.0.1:4443/ws'),
    /** Time to join the meeting before the call is refused with 503, ms. Default 10000. */
    joinTimeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

const dialTargetSchema = z.union([
  /** Join this meeting room; `$1`, `$<name>` refer to the match groups. */
  z.object({ room: z.string().min(1) }).strict(),
  /** Dial out through this trunk, or these trunks in failover order. */
  z.object({ trunk: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]) }).strict(),
  /**
   * Answer at the signalling layer only (health probe, test number, call-rate bench): the call is
   * admitted, negotiated and answered with an inactive SDP answer, no RTP port, no meeting.
   */
  z.object({ answer: z.literal('signalling-only') }).strict(),
], {
  error: 'a target is { room: NAME }, { trunk: NAME | [NAME, ...] } or { answer: signalling-only }',
});

export const dialRuleSchema = z
  .object({
    /** Regular expression matched against the dialled user part. Required. */
    match: regexSource,
    /** Replacement for the dialled user part (`$1`, `$<name>`). Default: unchanged. */
    rewrite: z.string().min(1).optional(),
    /** Where the call goes. Required unless the issue-#2 short form `room:` is given. */
    target: dialTargetSchema.optional(),
    /** Issue-#2 short form of `target: { room: ... }`. */
    room: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => (r.target === undefined) !== (r.room === undefined), {
    message: 'a rule needs exactly one of "target" or "room"',
  });

export const adminSchema = z
  .object({
    /** Address of the local admin/metrics HTTP API. Default 127.0.0.1. */
    bind: host.default('127.0.0.1'),
    /** Port of the admin API; 0 disables it. Default 8088. */
    port: port.default(8088),
    /** Bearer token the admin API requires (except GET /api/health). Default: read `tokenFile`. */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * File holding the token when `token` is not set; created with a random token and mode 0600
     * at first start. Relative paths are relative to the config file. Default admin-token.
     */
    tokenFile: z.string().min(1).default('admin-token'),
  })
  .strict();

export const configSchema = z
  .object({
    sip: sipSchema.default(sipSchema.parse({})),
    media: mediaSchema.default(mediaSchema.parse({})),
    codecs: codecsSchema.default(codecsSchema.parse({})),
    meeting: meetingSchema.default(meetingSchema.parse({})),
    /** Ordered dial plan; the first matching rule wins. Default: `sip:<room>@gateway` joins `<room>`. */
    dialPlan: z.array(dialRuleSchema).default([{ match: '^([A-Za-z0-9_.~-]+)$', target: { room: '$1' } }]),
    /** SIP trunks (inbound match, outbound peer, limits). Default []. */
    trunks: z.array(trunkSchema).default([]),
    /** The gateway's registrar for room terminals (config/registrar-schema.ts). Default disabled. */
    registrar: registrarSchema.default(registrarSchema.parse({})),
    /** H.323 gatekeepers and RAS socket (config/gatekeeper-schema.ts). Optional: H.323 RAS off when absent. */
    h323: h323Schema.optional(),
    admin: adminSchema.default(adminSchema.parse({})),
    logging: z
      .object({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine(checkTrunkReferences);

export type GatewayConfig = z.infer<typeof configSchema>;
export type DialRule = z.infer<typeof dialRuleSchema>;
export type AudioCodecName = z.infer<typeof audioCodec>;

/** Trunk names are unique and every dial plan trunk target names a trunk that can dial out. */
function checkTrunkReferences(
  config: { trunks: { name: string; outbound?: unknown }[]; dialPlan: { target?: { trunk?: string | string[] } | { room: string } | { answer: string } }[] },
  ctx: z.RefinementCtx,
): void {
  const names = new Map<string, boolean>();
  config.trunks.forEach((t, i) => {
    if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['trunks', i, 'name'], message: `duplicate trunk name "${t.name}"` });
    names.set(t.name, t.outbound !== undefined);
  });
  config.dialPlan.forEach((rule, i) => {
    const target = rule.target;
    if (!target || !('trunk' in target) || target.trunk === undefined) return;
    for (const name of [target.trunk].flat()) {
      if (!names.has(name)) ctx.addIssue({ code: 'custom', path: ['dialPlan', i, 'target', 'trunk'], message: `no trunk named "${name}"` });
      else if (!names.get(name)) ctx.addIssue({ code: 'custom', path: ['dialPlan', i, 'target', 'trunk'], message: `trunk "${name}" has no outbound section` });
    }
  });
}

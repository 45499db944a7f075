import { z } from 'zod';

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
  })
  .strict();

export const audioCodec = z.enum(['opus', 'PCMU', 'PCMA']);
export const videoCodec = z.enum(['H264']);

export const codecsSchema = z
  .object({
    /** Audio codecs the gateway accepts from rooms, in preference order. Default [opus, PCMU, PCMA]. */
    audio: z.array(audioCodec).min(1).default(['opus', 'PCMU', 'PCMA']),
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

export const dialRuleSchema = z
  .object({
    /** Regular expression matched against the user part of the Request-URI. */
    match: z.string().refine(isValidRegExp, { message: 'not a valid regular expression' }),
    /** Meeting room to join; `$1`, `$<name>` refer to the match groups. */
    room: z.string().min(1),
  })
  .strict();

export const adminSchema = z
  .object({
    /** Address of the local admin/metrics HTTP API. Default 127.0.0.1. */
    bind: host.default('127.0.0.1'),
    /** Port of the admin API; 0 disables it. Default 8088. */
    port: port.default(8088),
  })
  .strict();

export const configSchema = z
  .object({
    sip: sipSchema.default(sipSchema.parse({})),
    media: mediaSchema.default(mediaSchema.parse({})),
    codecs: codecsSchema.default(codecsSchema.parse({})),
    meeting: meetingSchema.default(meetingSchema.parse({})),
    /** Ordered dial plan; the first matching rule wins. Default: `sip:<room>@gateway` joins `<room>`. */
    dialPlan: z.array(dialRuleSchema).default([{ match: '^([A-Za-z0-9_.~-]+)$', room: '$1' }]),
    admin: adminSchema.default(adminSchema.parse({})),
    logging: z
      .object({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type GatewayConfig = z.infer<typeof configSchema>;
export type DialRule = z.infer<typeof dialRuleSchema>;
export type AudioCodecName = z.infer<typeof audioCodec>;

function isValidRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

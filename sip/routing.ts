/** Where messages go: Via stamping on receipt, response destinations, request targets. */
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { formatVia, parseNameAddr, parseSipUri, parseVia } from './grammar.ts';
import type { SipRequest } from './message.ts';
import { isReliable, type Endpoint, type Source, type TransportName } from './transport.ts';

/** RFC 3261 19.1.2: 5061 for TLS (and sips:), 5060 otherwise. */
export function defaultPort(transport: TransportName): number {
  return transport === 'tls' ? 5061 : 5060;
}

/**
 * RFC 3261 18.2.1: add `received` when the sent-by host differs from the source address;
 * RFC 3581 4: fill an empty `rport` with the source port (and then always add `received`).
 */
export function stampTopVia(req: SipRequest, src: Source): void {
  const top = req.headers.getAll('via')[0];
  if (top === undefined) return;
  const via = parseVia(top);
  const wantsRport = via.params.has('rport') && via.params.get('rport') === null;
  if (wantsRport) via.params.set('rport', String(src.port));
  if (wantsRport || via.host !== src.address) via.params.set('received', src.address);
  else return;
  req.headers.shift('via');
  req.headers.prepend('Via', formatVia(via));
}

/** RFC 3261 18.2.2 with RFC 3581 4: the destination of a response to `req` received from `src`. */
export function responseDestination(req: SipRequest, src: Source): Endpoint & { connectionId?: number } {
  const via = parseVia(req.headers.getAll('via')[0] ?? '');
  const address = via.params.get('received') ?? via.host;
  if (isReliable(src.transport)) {
    // Reliable: the connection the request arrived on; if it is gone, a new one to the
    // received address and the sent-by port (a WebSocket peer cannot be dialled: RFC 7118 5).
    return { transport: src.transport, address, port: via.port ?? defaultPort(src.transport), connectionId: src.connectionId };
  }
  const rport = via.params.get('rport');
  const port = rport ? Number(rport) : (via.port ?? 5060);
  // DEVIATION(RFC 3261 18.2.2 maddr): multicast maddr responses are not supported.
  return { transport: 'udp', address, port };
}

const URI_TRANSPORTS: Record<string, TransportName> = { udp: 'udp', tcp: 'tcp', tls: 'tls', ws: 'ws' };

/**
 * RFC 3263 simplified: IP literal or name resolved by the OS; the transport param, else TLS for
 * a sips: URI (RFC 3261 19.1.2 / 26.2.2), else `fallback`; default port per transport.
 */
export async function resolveUri(uri: string, fallback: TransportName = 'udp', flows?: WsFlows): Promise<Endpoint> {
  const parsed = parseSipUri(uri);
  const flow = flows?.lookup(parsed.host);
  if (flow) return flow;
  const tp = URI_TRANSPORTS[parsed.params.get('transport')?.toLowerCase() ?? ''];
  // DEVIATION(RFC 5630 3.1.3): sips: with transport=tcp would mean TLS; we take the param as given.
  const transport: TransportName = tp ?? (parsed.scheme === 'sips' ? 'tls' : fallback);
  const host = parsed.params.get('maddr') ?? parsed.host;
  const address = net.isIP(host) ? host : (await lookup(host)).address;
  return { transport, address, port: parsed.port ?? defaultPort(transport) };
}

/** RFC 3261 18.1.1: requests larger than this go over TCP when the path MTU is unknown. */
export const UNKNOWN_MTU_LIMIT_BYTES = 1300;

/**
 * RFC 3261 18.1.1: a request within 200 bytes of the path MTU (larger than 1300 bytes when the
 * MTU is unknown, `mtu` undefined) MUST use a congestion-controlled transport; the top Via
 * then names TCP. Returns the destination to use; rewrites the Via in place when it switches.
 */
export function moveLargeRequestToTcp(req: SipRequest, dest: Endpoint, mtu: number | undefined): Endpoint {
  if (dest.transport !== 'udp') return dest;
  const limit = mtu === undefined ? UNKNOWN_MTU_LIMIT_BYTES : mtu - 200;
  if (req.encode().length <= limit) return dest;
  const top = req.headers.getAll('via')[0];
  if (top !== undefined) {
    const via = parseVia(top);
    via.transport = 'TCP';
    req.headers.shift('via');
    req.headers.prepend('Via', formatVia(via));
  }
  // DEVIATION(RFC 3261 18.1.1): no fallback to UDP when the TCP connection is refused.
  return { ...dest, transport: 'tcp' };
}

/**
 * RFC 7118 5.2 / 7: WebSocket clients put a random `.invalid` host in Via and Contact and cannot
 * be dialled; requests to such a Contact go back over the connection it arrived on. Remembers
 * the last connection each `.invalid` Contact host used (bounded; a stale entry fails the send).
 */
export class WsFlows {
  private readonly byHost = new Map<string, Endpoint & { connectionId?: number }>();

  constructor(private readonly maxEntries = 10_000) {}

  /** Records the Contact host of a request that arrived over WS. */
  learn(req: SipRequest, src: Source): void {
    if (src.transport !== 'ws' && src.transport !== 'wss') return;
    const contact = req.headers.get('contact');
    if (contact === undefined) return;
    let host: string;
    try {
      host = parseSipUri(parseNameAddr(contact).uri).host.toLowerCase();
    } catch {
      return; // a malformed Contact is the dialog layer's to reject
    }
    if (!host.endsWith('.invalid')) return;
    this.byHost.delete(host);
    if (this.byHost.size >= this.maxEntries) this.byHost.delete(this.byHost.keys().next().value as string);
    this.byHost.set(host, { transport: src.transport, address: src.address, port: src.port, connectionId: src.connectionId });
  }

  lookup(host: string): (Endpoint & { connectionId?: number }) | undefined {
    return this.byHost.get(host.toLowerCase());
  }
}

/** Where messages go: Via stamping on receipt, response destinations, request targets. */
import net from 'node:net';
import { lookup } from 'node:dns/promises';
import { formatVia, parseSipUri, parseVia } from './grammar.ts';
import type { SipRequest } from './message.ts';
import type { Endpoint, Source, TransportName } from './transport.ts';

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
  if (src.transport === 'tcp') {
    // Reliable: the connection the request arrived on; if it is gone, a new one to the
    // received address and the sent-by port.
    return { transport: 'tcp', address, port: via.port ?? 5060, connectionId: src.connectionId };
  }
  const rport = via.params.get('rport');
  const port = rport ? Number(rport) : (via.port ?? 5060);
  // DEVIATION(RFC 3261 18.2.2 maddr): multicast maddr responses are not supported.
  return { transport: 'udp', address, port };
}

/** RFC 3263 simplified: IP literal or name resolved by the OS; port 5060; transport param or UDP. */
export async function resolveUri(uri: string, fallback: TransportName = 'udp'): Promise<Endpoint> {
  const parsed = parseSipUri(uri);
  const tp = parsed.params.get('transport')?.toLowerCase();
  const transport: TransportName = tp === 'tcp' ? 'tcp' : tp === 'udp' ? 'udp' : fallback;
  const host = parsed.params.get('maddr') ?? parsed.host;
  const address = net.isIP(host) ? host : (await lookup(host)).address;
  return { transport, address, port: parsed.port ?? 5060 };
}

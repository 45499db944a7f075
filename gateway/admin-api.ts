import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './gateway.ts';
import type { Logger } from './logger.ts';

/**
 * The local admin/metrics API. Read-only in this version:
 *   GET /api/health  → { ok: true }
 *   GET /api/stats   → GatewayStats (calls, media ports in use, SIP transactions/dialogs)
 *   GET /api/calls   → CallSummary[]
 */
export async function startAdminApi(gateway: Gateway, opts: { bind: string; port: number; logger: Logger }): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'method not allowed' });
    switch (req.url?.split('?')[0]) {
      case '/api/health':
        return send(200, { ok: true });
      case '/api/stats':
        return send(200, gateway.stats());
      case '/api/calls':
        return send(200, gateway.activeCalls());
      default:
        return send(404, { error: 'not found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info('admin API listening', { bind: opts.bind, port });
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

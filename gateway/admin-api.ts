import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseDtmfDigit, type DtmfDigit } from '../bridge/index.ts';
import { bearerMatches } from './admin-token.ts';
import type { DialRequest } from './dial-out-plan.ts';
import type { Gateway } from './gateway.ts';
import type { Logger } from './logger.ts';

/**
 * The local admin/metrics API. Every route but GET /api/health needs
 * `Authorization: Bearer <admin token>` (RFC 6750), else 401.
 *   GET    /api/health          → { ok: true }
 *   GET    /api/stats           → GatewayStats
 *   GET    /api/calls           → CallSummary[]
 *   POST   /api/calls           {meeting, to, trunk?} → DialOutcome (200 answered, 502/4xx failed)
 *   DELETE /api/calls/:callId   → 204, or 404 when there is no such call
 *   POST   /api/calls/:callId/dtmf {digits, durationMs?} → 202 (keys queued toward the room),
 *                                  400 bad keys, 404 no such call, 409 call not answered yet
 *   GET    /api/trunks          → TrunkSummary[] (keepalive state, active calls, outbound registration)
 *   GET    /api/registrations   → RegistrationSummary[] (the registrar's bindings; [] when disabled)
 *   GET    /api/gatekeepers     → GatekeeperSummary[] (H.323 RAS registration per gatekeeper; [] when none)
 */
export async function startAdminApi(
  gateway: Gateway,
  opts: { bind: string; port: number; token: string; logger: Logger },
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    route(gateway, opts, req, res).catch((err: Error) => {
      opts.logger.error('admin API request failed', { method: req.method, url: req.url, error: err.message });
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info('admin API listening', { bind: opts.bind, port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const MAX_BODY_BYTES = 16 * 1024;

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function route(gateway: Gateway, opts: { token: string; logger: Logger }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url?.split('?')[0] ?? '';
  if (req.method === 'GET' && path === '/api/health') return send(res, 200, { ok: true });
  if (!bearerMatches(req.headers.authorization, opts.token)) {
    opts.logger.warn('admin API request without a valid token', { method: req.method, path, remote: req.socket.remoteAddress });
    res.setHeader('WWW-Authenticate', 'Bearer realm="roomgate"');
    return send(res, 401, { error: 'a valid bearer token is required' });
  }
  const callPath = /^\/api\/calls\/([^/]+)$/.exec(path);
  if (req.method === 'DELETE' && callPath) {
    const callId = decodeURIComponent(callPath[1]!);
    return gateway.hangUp(callId) ? send(res, 204) : send(res, 404, { error: `no call ${callId}` });
  }
  if (req.method === 'POST' && path === '/api/calls') return dial(gateway, req, res);
  const dtmfPath = /^\/api\/calls\/([^/]+)\/dtmf$/.exec(path);
  if (req.method === 'POST' && dtmfPath) return dtmf(gateway, decodeURIComponent(dtmfPath[1]!), req, res);
  if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' });
  switch (path) {
    case '/api/stats':
      return send(res, 200, gateway.stats());
    case '/api/calls':
      return send(res, 200, gateway.activeCalls());
    case '/api/trunks':
      return send(res, 200, gateway.trunkSummaries());
    case '/api/registrations':
      return send(res, 200, gateway.registrations());
    case '/api/gatekeepers':
      return send(res, 200, gateway.gatekeeperSummaries());
    default:
      return send(res, 404, { error: 'not found' });
  }
}

async function dial(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  const request = asDialRequest(body);
  if (!request) return send(res, 400, { error: 'body must be JSON {"meeting": string, "to": string, "trunk"?: string}' });
  const outcome = await gateway.dialOut(request);
  const status = outcome.status === 'answered' ? 200 : outcome.callId === '' ? clientStatus(outcome.sipStatus) : 502;
  send(res, status, outcome);
}

async function dtmf(gateway: Gateway, callId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = (await readJson(req)) as { digits?: unknown; durationMs?: unknown } | undefined;
  const text = typeof body?.digits === 'string' ? body.digits : '';
  const digits = [...text].map(parseDtmfDigit);
  const durationMs = body?.durationMs;
  if (digits.length === 0 || digits.length > 32 || digits.some((d) => d === undefined) || (durationMs !== undefined && typeof durationMs !== 'number')) {
    return send(res, 400, { error: 'body must be JSON {"digits": "1-32 of 0-9*#A-D", "durationMs"?: number}' });
  }
  const result = gateway.sendDtmf(callId, digits as DtmfDigit[], durationMs as number | undefined);
  if (result === 'no-call') return send(res, 404, { error: `no call ${callId}` });
  if (result === 'not-active') return send(res, 409, { error: `call ${callId} is not answered` });
  send(res, 202, { callId, digits: text.toUpperCase() });
}

/**
 * A request the gateway refused before dialling maps to the HTTP status of the same meaning
 * (480 "not registered" to 404: nobody to call at that name now).
 */
function clientStatus(sipStatus: number): number {
  if (sipStatus === 480) return 404;
  return [400, 403, 404].includes(sipStatus) ? sipStatus : 503;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function asDialRequest(body: unknown): DialRequest | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { meeting, to, trunk } = body as Record<string, unknown>;
  if (typeof meeting !== 'string' || typeof to !== 'string') return undefined;
  if (trunk !== undefined && typeof trunk !== 'string') return undefined;
  return { meeting, to, ...(trunk !== undefined ? { trunk } : {}) };
}

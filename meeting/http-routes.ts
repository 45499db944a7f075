import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { publicDir } from './build-page.ts';
import type { MeetingLogger } from './logger.ts';
import type { RoomRegistry } from './room-registry.ts';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** The HTTP API and static page of PROTOCOL.md "HTTP API". */
export function createHttpHandler(rooms: RoomRegistry, log: MeetingLogger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      route(req, res, rooms);
    } catch (err) {
      const bad = err instanceof URIError;
      log.warn('http request failed', { url: req.url?.slice(0, 200), error: (err as Error).message });
      if (!res.headersSent) json(res, bad ? 400 : 500, { error: bad ? 'bad request' : 'internal error' });
      else res.destroy();
    }
  };
}

function route(req: IncomingMessage, res: ServerResponse, rooms: RoomRegistry): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/api/health' && method === 'GET') return json(res, 200, { ok: true });
  if (path === '/api/rooms' && method === 'GET') return json(res, 200, rooms.list());
  const close = /^\/api\/rooms\/([^/]+)\/close$/.exec(path);
  if (close && method === 'POST') {
    req.resume(); // ignore any body
    const room = rooms.get(decodeURIComponent(close[1]!));
    if (!room) return json(res, 404, { error: 'no such room' });
    room.close('closed by API');
    return json(res, 200, { closed: true });
  }
  if (path.startsWith('/api/')) return json(res, 404, { error: 'not found' });
  if (method !== 'GET' && method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
  serveStatic(path === '/' ? '/index.html' : path, res);
}

function serveStatic(path: string, res: ServerResponse): void {
  const file = normalize(join(publicDir, decodeURIComponent(path)));
  if (!file.startsWith(publicDir + sep)) return json(res, 404, { error: 'not found' });
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return json(res, 404, { error: 'not found' });
    size = st.size;
  } catch {
    return json(res, 404, { error: 'not found' });
  }
  res.writeHead(200, {
    'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': 'no-cache',
  });
  createReadStream(file).pipe(res);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ensurePageBuilt } from './build-page.ts';
import { createHttpHandler } from './http-routes.ts';
import { silentLogger, type MeetingLogger } from './logger.ts';
import { RoomRegistry, type MeetingStats } from './room-registry.ts';
import type { RoomDtmfEvent } from './room.ts';
import { SignallingSession } from './session.ts';
import { WorkerHost } from './worker-host.ts';

export interface MeetingServerOptions {
  /** HTTP/WebSocket listen address. Default 127.0.0.1. */
  host?: string;
  /** HTTP/WebSocket port; 0 picks a free one. Default 4443. */
  port?: number;
  /** Local IP the RTC (ICE/DTLS/RTP) sockets bind to. Default 127.0.0.1. */
  rtcListenIp?: string;
  /** IP or hostname announced in ICE candidates (behind NAT). Default none: rtcListenIp. */
  announcedAddress?: string;
  /** Lowest RTC port (inclusive). Default mediasoup's 10000 (only with rtcMaxPort). */
  rtcMinPort?: number;
  /** Highest RTC port (inclusive). Default mediasoup's 59999 (only with rtcMinPort). */
  rtcMaxPort?: number;
  /** Structured logger. Default silent. */
  logger?: MeetingLogger;
}

export interface MeetingServer {
  /** Page URL, e.g. http://127.0.0.1:4443/ (real port). */
  url: string;
  /** Signalling URL, e.g. ws://127.0.0.1:4443/ws. */
  wsUrl: string;
  port: number;
  stats(): MeetingStats;
  /**
   * Meeting logic hook: called for every key a participant reports (PROTOCOL.md `dtmf`), in
   * any room. Returns the function that removes the listener.
   */
  onDtmf(listener: (roomId: string, event: RoomDtmfEvent) => void): () => void;
  /** Process id of the current mediasoup worker (operations, tests). */
  workerPid(): number | undefined;
  /** Ends every room (roomClosed to every peer), stops the worker and the listener. Idempotent. */
  close(): Promise<void>;
}

/** Largest signalling frame accepted (bytes); bigger ones close the socket with 1009. */
const MAX_FRAME_BYTES = 1 << 20;

/** Start the embedded meeting: mediasoup SFU + WebSocket signalling (/ws) + page and HTTP API. */
export async function startMeetingServer(opts: MeetingServerOptions = {}): Promise<MeetingServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? silentLogger;
  if ((opts.rtcMinPort === undefined) !== (opts.rtcMaxPort === undefined)) {
    throw new Error('rtcMinPort and rtcMaxPort go together');
  }
  if (await ensurePageBuilt()) log.info('meeting page bundle built');

  const rooms: RoomRegistry = new RoomRegistry(
    new WorkerHost(log, () => rooms.closeAll('media server failure')),
    {
      listenIp: opts.rtcListenIp ?? '127.0.0.1',
      ...(opts.announcedAddress ? { announcedAddress: opts.announcedAddress } : {}),
      ...(opts.rtcMinPort !== undefined && opts.rtcMaxPort !== undefined
        ? { portRange: { min: opts.rtcMinPort, max: opts.rtcMaxPort } }
        : {}),
    },
    log,
  );
  const workers = rooms.workerHost;
  await workers.get(); // fail fast if the worker binary is missing

  const http = createServer(createHttpHandler(rooms, log));
  const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: MAX_FRAME_BYTES });
  wss.on('connection', (socket, req) => {
    new SignallingSession(socket, rooms, log, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
  });
  wss.on('error', (err) => log.error('websocket server error', { error: err.message }));
  let port: number;
  try {
    port = await listen(http, host, opts.port ?? 4443);
  } catch (err) {
    workers.close();
    throw err;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  log.info('meeting server listening', { host, port });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/`,
    wsUrl: `ws://${urlHost}:${port}/ws`,
    port,
    stats: () => rooms.stats(),
    workerPid: () => workers.pid,
    onDtmf: (listener) => {
      rooms.on('dtmf', listener);
      return () => void rooms.off('dtmf', listener);
    },
    close: () =>
      (closing ??= (async () => {
        rooms.closeAll('server shutting down');
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
        workers.close();
        log.info('meeting server closed');
      })()),
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

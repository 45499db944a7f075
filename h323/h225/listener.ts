// TCP listener for H.225.0 call signalling (H.225.0 7.1: well-known port 1720). Each accepted
// connection must open with a Setup within `setupWaitMs`; it then becomes an IncomingH323Call.
// Anything else first: ReleaseComplete cause 81 "invalid call reference" (Q.931 5.8.3.2) and close.
import { createServer, type Server, type Socket } from 'node:net';
import { MessageType } from '../q931/index.ts';
import { CallState } from './call.ts';
import { IncomingH323Call } from './incoming-call.ts';
import { SignallingConnection, type H225Message, type TraceEvent } from './signalling-connection.ts';
import { DEFAULT_CALL_TIMERS, systemClock, typedEmitter, type CallTimers, type Clock, type Logger } from './support.ts';

export interface H323ListenerOptions {
  /** Address to bind. Default '0.0.0.0'. */
  bindAddress?: string;
  /** TCP port; 0 picks a free one. Default 1720. */
  port?: number;
  /** Accept H.245 tunnelling when a caller offers it (H.323 8.2.1). Default true. */
  tunnelling?: boolean;
  logger: Logger;
  /** Timer factory. Default: the system clock. */
  clock?: Clock;
  timers?: Partial<CallTimers>;
  trace?: (e: TraceEvent) => void;
}

interface ListenerEvents {
  call: (call: IncomingH323Call) => void;
}

export class H323Listener extends typedEmitter<ListenerEvents>() {
  private readonly server: Server;
  private readonly o: H323ListenerOptions;
  private readonly timers: CallTimers;
  private readonly clock: Clock;
  private readonly connections = new Set<SignallingConnection>();
  private readonly calls = new Set<IncomingH323Call>();

  private constructor(o: H323ListenerOptions) {
    super();
    this.o = o;
    this.timers = { ...DEFAULT_CALL_TIMERS, ...o.timers };
    this.clock = o.clock ?? systemClock;
    this.server = createServer((socket) => this.onConnection(socket));
  }

  static async listen(o: H323ListenerOptions): Promise<H323Listener> {
    const l = new H323Listener(o);
    await new Promise<void>((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen(o.port ?? 1720, o.bindAddress ?? '0.0.0.0', () => {
        l.server.off('error', reject);
        resolve();
      });
    });
    l.server.on('error', (e) => o.logger.error('h225 listener error', { error: e.message }));
    o.logger.info('h225 listening', { address: o.bindAddress ?? '0.0.0.0', port: l.port });
    return l;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** Open TCP connections (with or without a call) and live calls. */
  stats(): { connections: number; calls: number } {
    return { connections: this.connections.size, calls: this.calls.size };
  }

  /** Stops listening, releases live calls (cause 16) and drops connections still waiting for Setup. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const call of [...this.calls]) call.release(16);
    for (const c of [...this.connections]) if (!c.isClosing) c.destroy('listener closed'); // the released ones linger ≤ closeLingerMs
    await closed;
  }

  private onConnection(socket: Socket): void {
    let call: IncomingH323Call | undefined;
    const conn = new SignallingConnection({
      socket, logger: this.o.logger, clock: this.clock, closeLingerMs: this.timers.closeLingerMs,
      callState: () => call?.state ?? CallState.null, ...(this.o.trace ? { trace: this.o.trace } : {}),
    });
    this.connections.add(conn);
    this.o.logger.debug('h225 connection accepted', { remote: `${conn.remote.address}:${conn.remote.port}` });
    const setupWait = this.clock.setTimer(this.timers.setupWaitMs, () => {
      this.o.logger.warn('h225 no Setup on a new connection', { remote: `${conn.remote.address}:${conn.remote.port}` });
      conn.close('no Setup');
    });
    conn.on('closed', () => {
      setupWait.cancel();
      this.connections.delete(conn);
    });
    const onFirst = (m: H225Message) => {
      conn.off('message', onFirst);
      setupWait.cancel();
      if (m.q931.type !== MessageType.setup || m.view?.type !== 'setup') {
        // Q.931 5.8.3.2: only Setup may open a call reference
        this.o.logger.warn('h225 first message is not a Setup', { type: m.name, body: m.view?.type });
        conn.callReference = m.q931.callReference;
        conn.fromDestination = !m.q931.fromDestination;
        if (m.q931.type === MessageType.releaseComplete) conn.close('ReleaseComplete without a call');
        else conn.releaseAndClose(m.q931.type === MessageType.setup ? 100 : 81, 'first message is not a Setup');
        return;
      }
      call = new IncomingH323Call({ connection: conn, logger: this.o.logger, clock: this.clock, timers: this.timers }, m, {
        tunnelling: this.o.tunnelling ?? true,
      });
      this.calls.add(call);
      call.once('released', () => this.calls.delete(call!));
      this.o.logger.info('h225 incoming call', {
        callId: call.callId, remote: `${conn.remote.address}:${conn.remote.port}`, called: call.setup.calledNumber,
        aliases: call.setup.destinationAliases, fastStart: call.setup.fastStart.length, tunnelling: call.tunnelling,
      });
      if (this.listenerCount('call') === 0) {
        // nobody to answer: refuse at once rather than hold the caller until its own timers fire
        call.reject(47, 'gatewayResources'); // Q.850 47 resource unavailable, unspecified
        return;
      }
      this.emit('call', call);
    };
    conn.on('message', onFirst);
  }
}

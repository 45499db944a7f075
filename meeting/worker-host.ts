import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import type { MeetingLogger } from './logger.ts';

/**
 * Owns the mediasoup worker. If the worker dies, `onDied` runs (the server closes every room)
 * and a fresh worker is started for new rooms; if that fails too, `get()` rejects clearly.
 */
export class WorkerHost {
  private current?: types.Worker;
  private starting?: Promise<types.Worker>;
  private closedFlag = false;

  constructor(
    private readonly log: MeetingLogger,
    private readonly onDied: (error: Error) => void,
  ) {}

  /** The running worker, started on first use. */
  get(): Promise<types.Worker> {
    if (this.closedFlag) return Promise.reject(new Error('meeting server is closing'));
    if (this.current && !this.current.died && !this.current.closed) return Promise.resolve(this.current);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  private async start(): Promise<types.Worker> {
    const worker = await mediasoup.createWorker({
      logLevel: (process.env.MEETING_WORKER_LOG_LEVEL as 'debug' | 'warn' | 'error' | 'none' | undefined) ?? 'warn',
      logTags: ['info', 'ice', 'dtls', 'rtp', 'srtp', 'rtcp'],
      ...(process.env.MEDIASOUP_WORKER_BIN ? { workerBin: process.env.MEDIASOUP_WORKER_BIN } : {}),
    });
    worker.on('died', (error) => {
      this.log.error('mediasoup worker died; closing its rooms, a new worker starts on next join', {
        pid: worker.pid,
        error: error.message,
      });
      if (this.current === worker) this.current = undefined;
      this.onDied(error);
    });
    this.log.info('mediasoup worker started', { pid: worker.pid, version: mediasoup.version });
    this.current = worker;
    return worker;
  }

  close(): void {
    this.closedFlag = true;
    this.current?.close();
    this.current = undefined;
  }
}

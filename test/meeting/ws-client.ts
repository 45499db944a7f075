// A minimal signalling client for tests: raw frames in, responses and notifications out.

import { WebSocket } from 'ws';

export interface Frame {
  id?: number;
  ok?: boolean;
  data?: any;
  error?: string;
  notification?: string;
}

export class TestSocket {
  readonly frames: Frame[] = [];
  private nextId = 1;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => (w.match(frame) ? (w.resolve(frame), false) : true));
    });
  }

  static open(url: string): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new TestSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Resolves with the first frame (received from index `from` on, or future) that matches. */
  next(match: (f: Frame) => boolean, from = 0): Promise<Frame> {
    const seen = this.frames.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  notification(name: string): Promise<Frame> {
    return this.next((f) => f.notification === name);
  }

  /** Send a raw text frame. */
  sendRaw(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }

  /** Send a request and resolve with its response frame (ok or not). */
  request(method: string, data: unknown = {}): Promise<Frame> {
    const id = this.nextId++;
    const from = this.frames.length; // ignore older answers that reused this id
    this.ws.send(JSON.stringify({ id, method, data }));
    return this.next((f) => f.id === id && f.notification === undefined, from);
  }

  closed(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.ws.once('close', () => resolve()));
  }

  close(): Promise<void> {
    const done = this.closed();
    this.ws.close();
    return done;
  }
}

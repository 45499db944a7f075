import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { CloudMediaPort, CloudMediaPortEvents, TickListener, TickPhase, TickSource } from '../../bridge/index.ts';

/** In-memory CloudMediaPort: records what the bridge sends, lets the test emit meeting media. */
export class FakeCloud extends EventEmitter<CloudMediaPortEvents> implements CloudMediaPort {
  readonly audioSent: Buffer[] = [];
  readonly videoSent: Buffer[] = [];
  keyframeRequests = 0;
  private readonly waiters: { pred: () => boolean; resolve: () => void }[] = [];

  sendAudio(rtp: Buffer): void { this.audioSent.push(rtp); this.check(); }
  sendVideo(rtp: Buffer): void { this.videoSent.push(rtp); this.check(); }
  requestKeyframe(): void { this.keyframeRequests++; this.check(); }

  /** Resolves when `pred` holds (checked on every call into the fake). */
  until(pred: () => boolean): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  private check(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.pred()) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }
}

/** A tick source the test drives by hand (deterministic media clock). */
export class ManualTicker implements TickSource {
  private readonly listeners = new Set<TickListener>();
  private readonly mixListeners = new Set<TickListener>();
  subscribe(fn: TickListener, phase: TickPhase = 'playout'): () => void {
    const set = phase === 'mix' ? this.mixListeners : this.listeners;
    set.add(fn);
    return () => set.delete(fn);
  }
  get subscribers(): number { return this.listeners.size + this.mixListeners.size; }
  tick(): void {
    const now = performance.now();
    for (const fn of this.listeners) fn(now);
    for (const fn of this.mixListeners) fn(now);
  }
}

/** A UDP socket playing the terminal: collects datagrams and lets the test await a count. */
export class FakeTerminal {
  readonly received: Buffer[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (m) => {
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (this.received.length >= w.n) w.resolve();
        return this.received.length < w.n;
      });
    });
  }
  static async open(): Promise<FakeTerminal> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return new FakeTerminal(s);
  }
  get port(): number { return this.socket.address().port; }
  send(buf: Buffer, port: number): void { this.socket.send(buf, port, '127.0.0.1'); }
  untilCount(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  close(): void { this.socket.close(); }
}

export function sineInt16(hz: number, rate: number, n: number, amp: number, phaseStart = 0): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * hz * (i + phaseStart)) / rate));
  return out;
}

/** Browser side of the meeting signalling protocol (PROTOCOL.md): requests by id, notifications. */

export type NotificationHandler = (name: string, data: Record<string, any>) => void;

interface Pending {
  resolve: (data: any) => void;
  reject: (err: Error) => void;
  method: string;
}

export class SignallingClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private constructor(
    private readonly ws: WebSocket,
    private readonly onNotification: NotificationHandler,
    private readonly onClose: () => void,
  ) {
    ws.addEventListener('message', (ev) => this.onMessage(ev.data));
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: signalling closed`));
      this.pending.clear();
      this.onClose();
    });
  }

  static connect(url: string, onNotification: NotificationHandler, onClose: () => void): Promise<SignallingClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const fail = () => reject(new Error(`cannot reach ${url}`));
      ws.addEventListener('error', fail, { once: true });
      ws.addEventListener(
        'open',
        () => {
          ws.removeEventListener('error', fail);
          resolve(new SignallingClient(ws, onNotification, onClose));
        },
        { once: true },
      );
    });
  }

  request<T = any>(method: string, data: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error(`${method}: signalling closed`));
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(text: unknown): void {
    let frame: any;
    try {
      frame = JSON.parse(String(text));
    } catch {
      console.warn('meeting: unreadable signalling frame');
      return;
    }
    if (typeof frame?.notification === 'string') return this.onNotification(frame.notification, frame.data ?? {});
    const p = this.pending.get(frame?.id);
    if (!p) return;
    this.pending.delete(frame.id);
    if (frame.ok) p.resolve(frame.data ?? {});
    else p.reject(new Error(`${p.method}: ${frame.error ?? 'failed'}`));
  }
}

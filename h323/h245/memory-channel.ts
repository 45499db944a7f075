// Two H245Channel ends joined in memory: what one end sends the other receives on a later
// microtask (never re-entrantly), in order. For tests and for sessions joined inside one process.
import type { H245Channel } from './channel.ts';

class MemoryEnd implements H245Channel {
  peer!: MemoryEnd;
  private readonly pduHandlers: ((pdu: Uint8Array) => void)[] = [];
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private closed = false;
  /** Every batch passed to send(), for inspection. */
  readonly sent: Uint8Array[][] = [];

  send(pdus: Uint8Array[]): void {
    if (this.closed) return;
    this.sent.push(pdus);
    const copies = pdus.map((p) => Uint8Array.from(p));
    queueMicrotask(() => {
      for (const p of copies) if (!this.peer.closed) this.peer.deliver(p);
    });
  }

  onPdu(handler: (pdu: Uint8Array) => void): void {
    this.pduHandlers.push(handler);
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandlers.push(handler);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers.splice(0)) h(reason);
    queueMicrotask(() => this.peer.close(`peer closed: ${reason}`));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private deliver(pdu: Uint8Array): void {
    for (const h of this.pduHandlers) h(pdu);
  }
}

export type MemoryH245Channel = H245Channel & { readonly sent: Uint8Array[][]; readonly isClosed: boolean };

export function createMemoryChannelPair(): [MemoryH245Channel, MemoryH245Channel] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

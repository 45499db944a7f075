// A test gatekeeper on loopback UDP whose every datagram goes through Erlang's asn1 codec (an
// independent peer): requests from the gateway are decoded by Erlang (and that value is kept
// next to our own decoding), answers are built as values and encoded by Erlang, and the octets
// Erlang produced are what the gateway receives.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { decodeRas, h323Codec, type AsnType, type IpPort, type RasMessage } from '../../h323/asn1/index.ts';
import type { ErlangAsn1Peer } from './erlang/erlang-peer.ts';
import { parseTerm } from './erlang/term.ts';
import { ErlangValueMapping } from './erlang/value-mapping.ts';

const codec = h323Codec();
const mapping = new ErlangValueMapping(codec.schema);
const RAS = codec.typeRef('RasMessage') as Extract<AsnType, { kind: 'ref' }>;

export interface Received {
  /** Octets exactly as the gateway sent them. */
  bytes: Uint8Array;
  /** Erlang's decoding, mapped to this project's value shape. */
  erlang: RasMessage;
  /** This project's own decoding of the same octets. */
  ours: RasMessage;
  at: number;
  from: IpPort;
}

/** What the gatekeeper answers to a request; undefined = say nothing. */
export type Behaviour = (req: RasMessage, gk: ErlangGatekeeper) => RasMessage | RasMessage[] | undefined;

export class ErlangGatekeeper extends EventEmitter<{ received: [Received] }> {
  readonly received: Received[] = [];
  /** Octets of every answer we sent, as Erlang encoded them. */
  readonly sentBytes: Uint8Array[] = [];
  private chain: Promise<void> = Promise.resolve();
  private lastFrom?: IpPort;
  errors: Error[] = [];

  private constructor(private readonly peer: ErlangAsn1Peer, private readonly sock: Socket, public behaviour: Behaviour) {
    super();
    sock.on('message', (msg, rinfo) => {
      const bytes = new Uint8Array(msg);
      const from = { ip: rinfo.address, port: rinfo.port };
      this.chain = this.chain.then(() => this.handle(bytes, from)).catch((e: Error) => void this.errors.push(e));
    });
  }

  static async start(peer: ErlangAsn1Peer, behaviour: Behaviour): Promise<ErlangGatekeeper> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    return new ErlangGatekeeper(peer, sock, behaviour);
  }

  get address(): IpPort {
    const a = this.sock.address();
    return { ip: a.address, port: a.port };
  }

  async erlangEncode(msg: RasMessage): Promise<Uint8Array> {
    return this.peer.encode(RAS.ref, mapping.toErlang(RAS, msg));
  }

  async erlangDecode(bytes: Uint8Array): Promise<RasMessage> {
    return mapping.fromErlang(RAS, parseTerm(await this.peer.decode(RAS.ref, bytes))) as RasMessage;
  }

  /** Sends a gatekeeper-initiated request (URQ, IRQ, DRQ) encoded by Erlang to the last endpoint seen. */
  async sendRequest(msg: RasMessage, to: IpPort | undefined = this.lastFrom): Promise<void> {
    if (!to) throw new Error('no endpoint has spoken yet');
    const bytes = await this.erlangEncode(msg);
    this.sock.send(bytes, to.port, to.ip);
  }

  /** Resolves with the first received message (already, or later) that `pred` accepts. */
  async waitFor(pred: (r: Received) => boolean, timeoutMs = 5000, after = 0): Promise<Received> {
    const found = this.received.slice(after).find(pred);
    if (found) return found;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      for (;;) {
        const [r] = (await once(this, 'received', { signal: ac.signal })) as [Received];
        if (pred(r)) return r;
      }
    } catch {
      throw new Error(`gatekeeper: no matching message within ${timeoutMs} ms (saw ${this.received.map((r) => r.ours.type).join(', ')})`);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.sock.close();
  }

  private async handle(bytes: Uint8Array, from: IpPort): Promise<void> {
    this.lastFrom = from;
    const erlang = await this.erlangDecode(bytes);
    const r: Received = { bytes, erlang, ours: decodeRas(bytes), at: Date.now(), from };
    this.received.push(r);
    this.emit('received', r);
    const answers = this.behaviour(erlang, this);
    for (const a of answers === undefined ? [] : [answers].flat()) {
      const out = await this.erlangEncode(a);
      this.sentBytes.push(out);
      this.sock.send(out, from.port, from.ip);
    }
  }
}

// A userspace network impairment for the room's leg on loopback (acceptance 7 when the kernel has
// no sch_netem): a SIP relay in front of the gateway that points the room's media at a UDP media
// relay, which forwards RTP and RTCP both ways with seeded random loss and random delay (the
// delay reorders). The gateway latches back to the relay (symmetric RTP), so both directions
// of the room's media cross it.
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { seededRandom } from './seeded-random.ts';

export interface ImpairmentOptions {
  /** The gateway's SIP UDP port on 127.0.0.1. */
  gatewaySipPort: number;
  /** Probability a datagram is dropped, each direction. */
  loss: number;
  /** Each datagram is held a uniform random 0..maxDelayMs, ms. */
  maxDelayMs: number;
  seed: number;
}

export interface DirectionCounters {
  forwarded: number;
  dropped: number;
  /** Datagrams that left in another order than they came (delay reordered them). */
  reordered: number;
}

export interface ImpairmentRelay {
  /** Dial `sip:<room>@127.0.0.1:<sipPort>`. */
  sipPort: number;
  /** RTP toward the gateway and toward the room. */
  stats(): { toGateway: DirectionCounters; toRoom: DirectionCounters; rtcpToGateway: DirectionCounters; rtcpToRoom: DirectionCounters };
  /** Sequence number of the first RTP packet the gateway sent through the relay. */
  firstSeqToRoom(): number | undefined;
  close(): void;
}

/**
 * Tries tc netem in a fresh network namespace on a veth pair (what the issue asks for). Returns
 * null when the kernel accepts it, or the reason it cannot be used.
 */
export function netemUnavailableReason(): string | null {
  const ns = `rgnetem${process.pid}`;
  const run = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run(['netns', 'add', ns]);
    run(['-n', ns, 'link', 'add', 'rg0', 'type', 'veth', 'peer', 'name', 'rg1']);
    execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'rg0', 'root', 'netem', 'loss', '5%', 'delay', '15ms', '15ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
    return null;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return (e.stderr?.toString().trim() || e.message).split('\n')[0]!;
  } finally {
    try { run(['netns', 'del', ns]); } catch { /* not created */ }
  }
}

function bind(port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => { s.off('error', reject); resolve(s); });
  });
}

/** An even port P with P and P+1 free (RFC 3550 11), as the room expects from an m= line. */
async function bindPair(): Promise<[dgram.Socket, dgram.Socket]> {
  for (let i = 0; i < 200; i++) {
    const p = 50000 + 2 * Math.floor(Math.random() * 5000);
    let a: dgram.Socket | undefined;
    try {
      a = await bind(p);
      return [a, await bind(p + 1)];
    } catch {
      a?.close();
    }
  }
  throw new Error('no free even port pair for the media relay');
}

class Impairer {
  readonly counters: DirectionCounters = { forwarded: 0, dropped: 0, reordered: 0 };
  private seq = 0;
  private lastOut = -1;
  private readonly timers = new Set<NodeJS.Timeout>();
  constructor(private readonly rnd: () => number, private readonly opts: ImpairmentOptions) {}
  pass(msg: Buffer, send: (m: Buffer) => void): void {
    if (this.rnd() < this.opts.loss) {
      this.counters.dropped++;
      return;
    }
    const n = this.seq++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (n < this.lastOut) this.counters.reordered++;
      this.lastOut = Math.max(this.lastOut, n);
      this.counters.forwarded++;
      send(msg);
    }, this.rnd() * this.opts.maxDelayMs);
    this.timers.add(t);
  }
  close(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}

export async function startImpairmentRelay(opts: ImpairmentOptions): Promise<ImpairmentRelay> {
  const rnd = seededRandom(opts.seed);
  const sip = await bind();
  const [frontRtp, frontRtcp] = await bindPair();
  const backRtp = await bind();
  const backRtcp = await bind();
  const gw = { sip: opts.gatewaySipPort, rtp: 0 };
  let roomSip: dgram.RemoteInfo | undefined;
  let roomRtp: dgram.RemoteInfo | undefined;
  let roomRtcp: dgram.RemoteInfo | undefined;
  const imp = {
    toGateway: new Impairer(rnd, opts), toRoom: new Impairer(rnd, opts),
    rtcpToGateway: new Impairer(rnd, opts), rtcpToRoom: new Impairer(rnd, opts),
  };

  // SIP: everything from the room goes to the gateway (with rport, so the answers come back
  // here, RFC 3581); in the gateway's SDP the audio port becomes the relay's.
  sip.on('message', (msg, from) => {
    if (from.port === gw.sip) {
      if (roomSip) sip.send(rewriteAnswer(msg.toString('latin1'), gw, frontRtp.address().port), roomSip.port, roomSip.address);
      return;
    }
    roomSip = from;
    sip.send(Buffer.from(addRport(msg.toString('latin1')), 'latin1'), gw.sip, '127.0.0.1');
  });
  frontRtp.on('message', (m, from) => {
    roomRtp = from;
    if (gw.rtp) imp.toGateway.pass(m, (x) => backRtp.send(x, gw.rtp, '127.0.0.1'));
  });
  frontRtcp.on('message', (m, from) => {
    roomRtcp = from;
    if (gw.rtp) imp.rtcpToGateway.pass(m, (x) => backRtcp.send(x, gw.rtp + 1, '127.0.0.1'));
  });
  let firstSeqToRoom: number | undefined;
  backRtp.on('message', (m) => {
    if (firstSeqToRoom === undefined && m.length >= 12) firstSeqToRoom = m.readUInt16BE(2);
    if (roomRtp) imp.toRoom.pass(m, (x) => frontRtp.send(x, roomRtp!.port, roomRtp!.address));
  });
  backRtcp.on('message', (m) => { if (roomRtcp) imp.rtcpToRoom.pass(m, (x) => frontRtcp.send(x, roomRtcp!.port, roomRtcp!.address)); });

  return {
    sipPort: sip.address().port,
    stats: () => ({
      toGateway: { ...imp.toGateway.counters }, toRoom: { ...imp.toRoom.counters },
      rtcpToGateway: { ...imp.rtcpToGateway.counters }, rtcpToRoom: { ...imp.rtcpToRoom.counters },
    }),
    firstSeqToRoom: () => firstSeqToRoom,
    close() {
      for (const i of Object.values(imp)) i.close();
      for (const s of [sip, frontRtp, frontRtcp, backRtp, backRtcp]) s.close();
    },
  };
}

function addRport(text: string): string {
  return text.replace(/^(Via:[^\r\n]*?)(\r\n)/im, (line, head: string, crlf: string) => (/;rport/i.test(head) ? line : `${head};rport${crlf}`));
}

/** The gateway's SDP answer with its audio port replaced by the relay's (Content-Length fixed). */
function rewriteAnswer(text: string, gw: { rtp: number }, relayPort: number): Buffer {
  const sep = text.indexOf('\r\n\r\n');
  if (sep < 0 || !/\r\nm=audio /.test(text)) return Buffer.from(text, 'latin1');
  let head = text.slice(0, sep);
  const body = text.slice(sep + 4).replace(/^m=audio (\d+) /m, (_m, port: string) => {
    gw.rtp = Number(port);
    return `m=audio ${relayPort} `;
  });
  head = head.replace(/^(Content-Length|l):\s*\d+/im, (_m, name: string) => `${name}: ${Buffer.byteLength(body, 'latin1')}`);
  return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
}

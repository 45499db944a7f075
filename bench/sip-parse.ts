/**
 * SIP parse+serialize throughput on one core (issue #3 acceptance 6, goal >= 200k msg/s).
 * One iteration = parseMessage() of one datagram's bytes (with every check the stack relies on:
 * start line, Request-URI, Via/From/To/Contact syntax, CSeq, single-value headers, Content-Length
 * framing) + encode() of the parsed message to a new Buffer, as a transport would send it.
 * Successive iterations read different Buffers (a ring of copies that differ in branch, tags,
 * Call-ID and CSeq), each parsed into a fresh message: nothing carries over from one to the next.
 * Rates are per CPU-second of this process (see run()).
 * Run: npx tsx bench/sip-parse.ts   (prints one line per message kind)
 */
import { parseMessage } from '../sip/index.ts';

const SDP = [
  'v=0', 'o=room 2890844526 2890844526 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 49170 RTP/AVP 0 8 9 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:9 G722/8000',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv',
  'm=video 49172 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1',
  'a=rtcp-fb:96 nack pli', 'a=rtcp-fb:96 ccm fir', 'a=sendrecv', '',
].join('\r\n');

/** A typical INVITE from a room terminal through one proxy (two Vias, Record-Route, SDP). */
const INVITE = [
  'INVITE sip:1001@192.0.2.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-proxy-a1b2c3;rport',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-room-776asdhds;received=192.0.2.10;rport=5060',
  'Record-Route: <sip:192.0.2.20;lr>',
  'Max-Forwards: 69',
  'From: "Board Room" <sip:boardroom@example.com>;tag=1928301774',
  'To: <sip:1001@example.com>',
  'Call-ID: a84b4c76e66710@192.0.2.10',
  'CSeq: 314159 INVITE',
  'Contact: <sip:boardroom@192.0.2.10:5060;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE',
  'Supported: timer, replaces',
  'Session-Expires: 1800',
  'User-Agent: Poly RealPresence Group 500/6.2.2',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '',
  SDP,
].join('\r\n');

/** A typical 200 OK to a BYE / re-INVITE without a body. */
const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-proxy-a1b2c3;rport=5060;received=192.0.2.20',
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-room-776asdhds;received=192.0.2.10;rport=5060',
  'Record-Route: <sip:192.0.2.20;lr>',
  'From: "Board Room" <sip:boardroom@example.com>;tag=1928301774',
  'To: <sip:1001@example.com>;tag=a6c85cf',
  'Call-ID: a84b4c76e66710@192.0.2.10',
  'CSeq: 314160 BYE',
  'Contact: <sip:1001@192.0.2.1:5060>',
  'Server: roomgate',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

/** Distinct datagrams per message kind, cycled through. */
const RING = 64;

/**
 * `RING` copies of `text` as wire bytes, each with its own branch, tags, Call-ID and CSeq number
 * (same lengths, so every copy is the same work).
 */
function ring(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < RING; i++) {
    const n = String(i).padStart(2, '0');
    const varied = text
      .replace(/branch=z9hG4bK-(\w+)-.{2}/g, `branch=z9hG4bK-$1-${n}`)
      .replace(/tag=(\w+).{2}(\r|;|$)/gm, `tag=$1${n}$2`)
      .replace(/Call-ID: .{2}/, `Call-ID: ${n}`)
      .replace(/CSeq: \d{2}/, `CSeq: ${n}`);
    if (varied.length !== text.length) throw new Error('ring copy changed length');
    out.push(Buffer.from(varied));
  }
  if (new Set(out.map((b) => b.toString())).size !== RING) throw new Error('ring copies are not distinct');
  return out;
}

const WARMUP_MS = 1000;
const MEASURE_MS = 3000;

/** CPU time (user + system) this process has used, in microseconds. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Runs parse+encode in batches until `ms` of CPU time are spent; returns messages per CPU-second.
 * CPU time, not wall time, so a machine busy with other work does not understate one core's rate
 * (GC helper threads count too, which only makes the figure conservative).
 */
function run(wires: Buffer[], ms: number): { rate: number; sink: number } {
  let sink = 0;
  let count = 0;
  const start = cpuMicros();
  const limit = ms * 1000;
  let used = 0;
  while (used < limit) {
    for (let i = 0; i < 1024; i++) {
      const o = parseMessage(wires[i % RING]);
      if (o.kind !== 'message') throw new Error(`bench message did not parse: ${o.kind} ${o.error.message}`);
      sink += o.message.encode().length;
    }
    count += 1024;
    used = cpuMicros() - start;
  }
  return { rate: (count * 1e6) / used, sink };
}

const GOAL = 200_000;

function measure(label: string, text: string): void {
  const wires = ring(text);
  run(wires, WARMUP_MS);
  const { rate, sink } = run(wires, MEASURE_MS);
  if (sink === 0) throw new Error('nothing encoded');
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`sip parse+serialize ${label}: ${fmt(rate)} msg/s per CPU-second (1 core; goal >= ${fmt(GOAL)})`);
}

measure('INVITE', INVITE);
measure('200 OK', OK);

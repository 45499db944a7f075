/**
 * A scanner-style SIP flood for issue #3 acceptance 5, run as its own process (so its pacing does
 * not share the event loop with the gateway under test): binds UDP to `--from` (127.0.0.2 by
 * default; Linux routes all of 127/8 to lo) and sends exactly `--count` datagrams to `--to` at
 * `--rate` per second, then prints one JSON summary line and exits. Bounded in count and time
 * (`--max-seconds`), so it stops by itself. The mix: random junk, truncated INVITEs (Content-Length
 * beyond the body), and well-formed but unauthenticated REGISTER, OPTIONS and INVITE to unknown rooms.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '127.0.0.2' },
    to: { type: 'string' },
    count: { type: 'string', default: '150000' },
    rate: { type: 'string', default: '5000' },
    'max-seconds': { type: 'string', default: '45' },
  },
});
const [host, portText] = (values.to ?? '').split(':');
const port = Number(portText);
const count = Number(values.count);
const rate = Number(values.rate);
const maxMs = Number(values['max-seconds']) * 1000;
if (!host || !(port > 0) || !(count > 0) || !(rate > 0)) {
  console.error('usage: sip-flooder --to HOST:PORT [--from ADDR] [--count N] [--rate PER_S] [--max-seconds S]');
  process.exit(2);
}

const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function request(method: string, n: number, user: string, body = '', contentLength = body.length): string {
  return [
    `${method} sip:${user}@${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${values.from}:5060;rport;branch=z9hG4bK-flood-${n}`, // rport: answers come back here (RFC 3581)
    `From: <sip:scanner@${values.from}>;tag=f${n}`,
    `To: <sip:${user}@${host}>`,
    `Call-ID: flood-${n}@${values.from}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:scanner@${values.from}:5060>`,
    'Max-Forwards: 70',
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${contentLength}`,
    '',
    body,
  ].join('\r\n');
}

/** Datagram n of the flood: five kinds in turn. */
function datagram(n: number): Buffer {
  switch (n % 5) {
    case 0: return randomBytes(32 + (n % 400));
    case 1: return Buffer.from(request('INVITE', n, `room${n}`, sdp.slice(0, 40), sdp.length)); // truncated
    case 2: return Buffer.from(request('REGISTER', n, 'scanner'));
    case 3: return Buffer.from(request('OPTIONS', n, `${n}`));
    default: return Buffer.from(request('INVITE', n, `no-such-room-${n}`, sdp));
  }
}

const socket = dgram.createSocket('udp4');
let replies = 0;
socket.on('message', () => { replies++; });
await new Promise<void>((resolve, reject) => {
  socket.once('error', reject);
  socket.bind(0, values.from, () => resolve());
});

const started = Date.now();
let sent = 0;
let sendErrors = 0;
await new Promise<void>((resolve) => {
  // Pacing by elapsed time: each tick sends what the rate allows so far (5 ms ticks, ~25 datagrams).
  const tick = setInterval(() => {
    const elapsed = Date.now() - started;
    const due = Math.min(count, Math.floor((elapsed * rate) / 1000));
    while (sent < due) {
      socket.send(datagram(sent), port, host, (err) => { if (err) sendErrors++; });
      sent++;
    }
    if (sent >= count || elapsed >= maxMs) {
      clearInterval(tick);
      resolve();
    }
  }, 5);
});
const elapsedMs = Date.now() - started;
// Let the last replies arrive before counting them, then exit.
setTimeout(() => {
  console.log(JSON.stringify({ sent, sendErrors, replies, elapsedMs }));
  socket.close();
}, 500);

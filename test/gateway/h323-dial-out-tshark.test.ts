// tshark reads a gateway H.323 dial-out (issue #5): the Setup the gateway sends to an answering
// room (gateway/h323/room-endpoint.ts H323RoomListener) is captured live on loopback; the Q.931
// and H.225.0 dissectors show the called h323-ID, the six fastStart proposals (µ-law, A-law,
// G.722 pairs, channels 101-106) with the gateway's RTP/RTCP ports, tunnelling offered, the
// room's Connect with the two accepted ones, and no expert warning or error.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../e2e/harness.ts';
import { H323RoomListener } from '../helpers/h323-room.ts';

const dir = mkdtempSync(join(tmpdir(), 'roomgate-h323-dial-'));
const pcap = join(dir, 'call.pcapng');
let h: Harness;
let listener: H323RoomListener;
let gatewayAudioPort = 0;

function captureStarted(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/Capturing on/.test(err)) resolve();
    });
    p.once('exit', (code) => reject(new Error(`tshark exited ${code}: ${err}`)));
  });
}

/** A datagram to our own port, captured with the call: resolves once tshark's file holds it. */
async function mark(sock: Socket, port: number, n: number): Promise<void> {
  const tag = `roomgate-sentinel-${n}`;
  await vi.waitFor(() => {
    sock.send(tag, port, '127.0.0.1');
    const out = spawnSync('tshark', ['-r', pcap, '-Y', `udp.port == ${port}`, '-T', 'fields', '-e', 'data.data'], { encoding: 'utf8' });
    expect(out.stdout).toContain(Buffer.from(tag).toString('hex'));
  }, { timeout: 20_000, interval: 250 });
}

beforeAll(async () => {
  listener = await H323RoomListener.listen({ name: 'tshark-room', toneHz: 440 });
  h = await startHarness({
    mediaPorts: { min: 49070, max: 49089 },
    yaml: "h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 }, dialOut: { permitted: ['room-1@127[.]0[.]0[.]1:[0-9]+'] } }",
  });
  const port = listener.port;
  const sentinel = createSocket('udp4');
  sentinel.on('message', () => undefined);
  await new Promise<void>((r) => sentinel.bind(0, '127.0.0.1', r));
  const sPort = sentinel.address().port;
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port} or udp port ${sPort}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await captureStarted(tshark);
    await mark(sentinel, sPort, 1);
    const answered = listener.nextRoom();
    const outcome = await h.gateway.dialOut({ meeting: 'demo', to: `h323:room-1@127.0.0.1:${port}` });
    expect(outcome.status, outcome.reason).toBe('answered');
    const room = await answered;
    await vi.waitFor(() => expect(room.session?.capabilitiesAcked).toBe(true), { timeout: 10_000 });
    gatewayAudioPort = h.logs.find((l) => l.message === 'h323 dial-out: Setup')!.audioPort as number;
    const released = once(room.call as never, 'released');
    room.hangup();
    await released;
    await vi.waitFor(() => expect(h.gateway.stats().activeCalls).toBe(0), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300)); // the gateway's FIN after the room's ReleaseComplete
    await mark(sentinel, sPort, 2);
  } finally {
    tshark.kill('SIGINT');
    await once(tshark, 'exit');
    sentinel.close();
  }
}, 60_000);

afterAll(async () => {
  await listener?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function fields(filter: string, names: string[]): string[][] {
  const out = spawnSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', ...names.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return out.stdout.trimEnd().split('\n').filter(Boolean).map((l) => l.split('|'));
}

describe('a gateway H.323 dial-out, read by tshark', () => {
  it('the Setup carries the called h323-ID, six fastStart proposals (channels 101-106) and offers tunnelling', () => {
    const rows = fields(`q931.message_type == 0x05 && tcp.dstport == ${listener.port}`, ['h245.forwardLogicalChannelNumber', 'h225.h245Tunnelling', 'h225.h323_ID', 'h245.tsapIdentifier']);
    expect(rows).toHaveLength(1);
    const [channels, tunnelling, ids, tsaps] = rows[0]!;
    expect(channels!.split(',').map(Number).sort((a, b) => a - b)).toEqual([101, 102, 103, 104, 105, 106]);
    expect(tunnelling).toBe('1');
    expect(ids).toContain('room-1');
    const ports = tsaps!.split(',').map(Number);
    expect(ports).toContain(gatewayAudioPort); // room→gateway proposals: our RTP
    expect(ports).toContain(gatewayAudioPort + 1); // and RTCP
  });

  it('the room\'s Connect carries two accepted OLCs', () => {
    const rows = fields(`q931.message_type == 0x07 && tcp.srcport == ${listener.port}`, ['h245.forwardLogicalChannelNumber']);
    expect(rows).toHaveLength(1);
    expect(rows[0]![0]!.split(',')).toHaveLength(2);
  });

  it('no expert warning or error on the call (TCP sequence analysis aside)', () => {
    const rows = fields('tcp', ['_ws.expert.severity', '_ws.expert.group', '_ws.expert.message']);
    const experts = rows.flatMap(([s = '', g = '', m = '']) => (s ? s.split(',').map((x, i) => ({ severity: Number(x), group: Number(g.split(',')[i]), message: m.split(',')[i] })) : []))
      .filter((x) => x.group !== 0x2000000);
    expect(experts.filter((x) => x.severity >= 0x600000)).toEqual([]);
    expect(experts.filter((x) => x.severity > 0x200000)).toEqual([]);
  });
});

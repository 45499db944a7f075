// tshark reads a gateway H.323 call (issue #5): the H.225.0 call signalling of a fastStart call
// with tunnelled H.245 toward the gateway's listener is captured live on loopback; the Q.931,
// H.225.0 and H.245 dissectors show our Connect carrying the accepted fastStart OLCs with the
// gateway's RTP/RTCP ports and our channel number, the tunnelled H.245 of both sides, and no expert
// warning or error.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../e2e/harness.ts';
import { H323Room } from '../helpers/h323-room.ts';

const dir = mkdtempSync(join(tmpdir(), 'roomgate-h323-gw-'));
const pcap = join(dir, 'call.pcapng');
let h: Harness;
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
  h = await startHarness({ mediaPorts: { min: 48870, max: 48889 }, yaml: 'h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 } }' });
  const port = h.gateway.h323Port!;
  const sentinel = createSocket('udp4');
  sentinel.on('message', () => undefined);
  await new Promise<void>((r) => sentinel.bind(0, '127.0.0.1', r));
  const sPort = sentinel.address().port;
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port} or udp port ${sPort}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await captureStarted(tshark);
    await mark(sentinel, sPort, 1);
    const room = await H323Room.dial({ gatewayPort: port, mode: 'fastStart', calledAliases: [{ dialledDigits: '5555' }] });
    await vi.waitFor(() => expect(room.session?.capabilitiesAcked).toBe(true), { timeout: 10_000 });
    gatewayAudioPort = room.gatewayAudio!.port;
    room.sendUserInput('5');
    await vi.waitFor(() => expect(h.gateway.activeCalls()[0]?.dtmf?.lastDigits).toBe('5'), { timeout: 5000 });
    const released = once(room.call as never, 'released');
    room.hangup();
    await released;
    await vi.waitFor(() => expect(h.gateway.stats().activeCalls).toBe(0), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300)); // the gateway's FIN after our ReleaseComplete
    await mark(sentinel, sPort, 2);
  } finally {
    tshark.kill('SIGINT');
    await once(tshark, 'exit');
    sentinel.close();
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function fields(filter: string, names: string[]): string[][] {
  const out = spawnSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', ...names.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return out.stdout.trimEnd().split('\n').filter(Boolean).map((l) => l.split('|'));
}

describe('a gateway H.323 call, read by tshark', () => {
  it('Connect from the gateway carries the two accepted fastStart OLCs: our RTP/RTCP ports and our channel number 101', () => {
    const rows = fields(`q931.message_type == 0x07 && tcp.srcport == ${h.gateway.h323Port}`, ['h245.forwardLogicalChannelNumber', 'h245.tsapIdentifier', 'h225.h245Tunnelling']);
    expect(rows).toHaveLength(1);
    const [channels, tsaps, tunnelling] = rows[0]!;
    expect(channels!.split(',').map(Number).sort((a, b) => a - b)).toEqual([1, 101]);
    const ports = tsaps!.split(',').map(Number);
    expect(ports).toContain(gatewayAudioPort);
    expect(ports).toContain(gatewayAudioPort + 1);
    expect(tunnelling).toBe('1');
  });

  it('the tunnelled H.245 both ways decodes: TCS and MSD answered by the gateway, its own TCS, the room\'s userInput "5"', () => {
    const rows = fields('h245', ['tcp.srcport', 'h245.request', 'h245.response', 'h245.indication', 'h245.alphanumeric']);
    // H.245 CHOICE indexes as tshark prints them: request 1 masterSlaveDetermination, 2 terminalCapabilitySet;
    // response 1 masterSlaveDeterminationAck, 3 terminalCapabilitySetAck; indication 13 userInput
    const side = (gw: boolean, col: number) => rows.filter((r) => (Number(r[0]) === h.gateway.h323Port) === gw).flatMap((r) => (r[col] ? r[col]!.split(',') : []));
    // (the gateway sends no MSD of its own when the room's arrived first, the usual order here)
    expect(side(true, 1)).toContain('2');
    expect(side(true, 2)).toEqual(expect.arrayContaining(['1', '3']));
    expect(side(false, 1).sort()).toEqual(['1', '2']);
    expect(side(false, 3)).toEqual(['13']);
    expect(side(false, 4)).toEqual(['5']);
  });

  it('no expert warning or error on the call (TCP sequence analysis aside)', () => {
    const rows = fields('tcp', ['_ws.expert.severity', '_ws.expert.group', '_ws.expert.message']);
    const experts = rows.flatMap(([s = '', g = '', m = '']) => (s ? s.split(',').map((x, i) => ({ severity: Number(x), group: Number(g.split(',')[i]), message: m.split(',')[i] })) : []))
      .filter((x) => x.group !== 0x2000000);
    expect(experts.filter((x) => x.severity >= 0x600000)).toEqual([]);
    expect(experts.filter((x) => x.severity > 0x200000)).toEqual([]);
  });
});

// Independent readers of one whole call between our two endpoints on loopback:
//   - tshark captures the TCP of the call live and its TPKT/Q.931/H.225 dissectors must show every
//     message type we sent, the H.225 body we meant, and no expert note, warning or error;
//   - Erlang's asn1 codec (compiled from the same ITU modules) decodes every H323-UserInformation
//     we put on the wire to the value the builders meant.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { h323Codec, type AsnType } from '../../h323/asn1/index.ts';
import { H323Listener, placeCall, type IncomingH323Call, type TraceEvent } from '../../h323/h225/index.ts';
import { decodeQ931, findIe, IeId, MessageType, messageTypeName, parseUserUser } from '../../h323/q931/index.ts';
import { ErlangAsn1Peer } from './erlang/erlang-peer.ts';
import { parseTerm } from './erlang/term.ts';
import { ErlangValueMapping } from './erlang/value-mapping.ts';
import { fastStartOlcs, h245Pdus, recordingLogger } from './h225-helpers.ts';

const codec = h323Codec();
const mapping = new ErlangValueMapping(codec.schema);
const dir = mkdtempSync(join(tmpdir(), 'roomgate-h225-'));
let peer: ErlangAsn1Peer;
let sent: TraceEvent[] = [];
let port = 0;
let pcap = '';

/** Runs one call through every message type H.225.0 uses, capturing it with tshark. */
async function runCapturedCall(): Promise<void> {
  const log = recordingLogger();
  const trace = (e: TraceEvent) => e.direction === 'out' && sent.push(e);
  const listener = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log, trace });
  port = listener.port;
  pcap = join(dir, 'call.pcapng');
  const sentinel = await Sentinel.open();
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `tcp port ${port} or udp port ${sentinel.port}`, '-w', pcap], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await captureStarted(tshark);
    await sentinel.mark(); // the capture really runs once our first datagram is in the file
    const olcs = fastStartOlcs();
    const incoming = once(listener as never, 'call');
    const call = placeCall({
      address: '127.0.0.1', port, logger: log, trace, fastStart: olcs, h245Address: { ip: '127.0.0.1', port: 30001 },
      calledAliases: [{ dialledDigits: '4321' }, { h323Id: '192.0.2.5##4321' }], calledNumber: '4321', callingNumber: '1001',
      callingAliases: [{ h323Id: 'Room 7' }], displayName: 'Room 7',
    });
    const [callee] = (await incoming) as [IncomingH323Call];
    callee.proceeding();
    await once(call as never, 'proceeding');
    const [msd, tcs] = h245Pdus();
    const pdusAtCallee = new Promise<void>((r) => { let n = 0; callee.h245Tunnel!.onPdu(() => ++n === 2 && r()); });
    call.h245Tunnel!.send([msd!, tcs!]); // Facility with an empty body
    await pdusAtCallee;
    callee.progress();
    await once(call as never, 'progress');
    callee.h245Tunnel!.send([tcs!]);
    callee.alert({ fastStart: [olcs[0]!, olcs[2]!] });
    await once(call as never, 'alerting');
    const keys = once(callee as never, 'keypad');
    call.sendKeypad('1#');
    await keys;
    const status = once(call as never, 'status');
    call.statusEnquiry();
    await status;
    const h245 = once(call as never, 'h245-address');
    callee.startH245({ ip: '127.0.0.1', port: 30002 });
    await h245;
    callee.accept({ displayName: 'roomgate' });
    await call.waitConnected();
    const end = once(callee as never, 'released');
    call.release(16);
    await end;
    await vi.waitFor(() => expect(listener.stats()).toEqual({ connections: 0, calls: 0 }), { timeout: 5000, interval: 20 });
    // every message is in the capture file before tshark stops (dumpcap writes each packet as it comes)
    // packets are written in order: once a later sentinel is in the file, the whole call is
    await sentinel.mark();
  } finally {
    tshark.kill('SIGINT');
    await once(tshark, 'exit');
    await listener.close();
    sentinel.close();
  }
}

/**
 * UDP datagrams to a port of ours, captured with the call: `mark()` sends one and resolves when
 * tshark's file holds it (so the capture is running, or everything before it is written).
 */
class Sentinel {
  private n = 0;
  private constructor(private readonly sock: Socket, readonly port: number) {}
  static async open(): Promise<Sentinel> {
    const sock = createSocket('udp4');
    sock.on('message', () => undefined);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    return new Sentinel(sock, sock.address().port);
  }
  async mark(): Promise<void> {
    const tag = `roomgate-sentinel-${++this.n}`;
    await vi.waitFor(() => {
      this.sock.send(tag, this.port, '127.0.0.1');
      const out = spawnSync('tshark', ['-r', pcap, '-Y', `udp.port == ${this.port}`, '-T', 'fields', '-e', 'data.data'], { encoding: 'utf8' });
      expect(out.stdout).toContain(Buffer.from(tag).toString('hex'));
    }, { timeout: 20_000, interval: 250 });
  }
  close(): void {
    this.sock.close();
  }
}

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

interface Frame { types: number[]; bodies: string[]; severities: string[]; groups: string[]; experts: string[]; retransmission: boolean }

function readCapture(): Frame[] {
  const out = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,',
    '-Y', 'tcp', '-e', 'q931.message_type', '-e', 'h225.h323_message_body', '-e', '_ws.expert.severity', '-e', '_ws.expert.group',
    '-e', '_ws.expert.message', '-e', 'tcp.analysis.retransmission'], { encoding: 'utf8' });
  if (out.status !== 0) return [];
  return out.stdout.trimEnd().split('\n').filter(Boolean).map((line) => {
    const [t = '', b = '', s = '', g = '', m = '', r = ''] = line.split('|');
    const list = (x: string) => (x ? x.split(',') : []);
    // a segment the kernel sent again (tail-loss probe on a busy machine) is the same message twice
    const retransmission = r !== '';
    return { types: retransmission ? [] : list(t).map(Number), bodies: retransmission ? [] : list(b), severities: list(s), groups: list(g), experts: list(m), retransmission };
  });
}

/** A second call (not captured) for what the first does not send: refusals and forwarding. */
async function runRefusedCall(): Promise<TraceEvent[]> {
  const log = recordingLogger();
  const out: TraceEvent[] = [];
  const trace = (e: TraceEvent) => e.direction === 'out' && out.push(e);
  const listener = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log, trace, tunnelling: false });
  try {
    const incoming = once(listener as never, 'call');
    const call = placeCall({ address: '127.0.0.1', port: listener.port, logger: log, trace, fastStart: fastStartOlcs(), tunnelling: false, calledAliases: [{ url: 'h323:4321@gw' }] });
    const [callee] = (await incoming) as [IncomingH323Call];
    callee.proceeding({ fastStart: [], h245Address: { ip: '127.0.0.1', port: 30005 } }); // fastConnectRefused
    await once(call as never, 'fast-start-refused');
    callee.alert();
    await once(call as never, 'alerting');
    const forwarded = once(call as never, 'facility');
    callee.sendFacility('callForwarded', { alternativeAddress: { ip: '127.0.0.9', port: 1720 } });
    await forwarded;
    callee.reject(21, 'destinationRejection');
    await call.waitConnected().catch(() => undefined);
  } finally {
    await listener.close();
  }
  return out;
}

let refused: TraceEvent[] = [];

beforeAll(async () => {
  peer = ErlangAsn1Peer.start();
  sent = [];
  await runCapturedCall();
  refused = await runRefusedCall();
}, 600_000);

afterAll(() => {
  peer?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one captured call, read by tshark (TPKT, Q.931, H.225.0 dissectors)', () => {
  it('shows every message type in the order we sent them, with the H.225 body we meant', () => {
    const frames = readCapture();
    const onWire = frames.flatMap((f) => f.types);
    expect(onWire).toEqual(sent.map((e) => e.q931[4]));
    const names = onWire.map((t) => messageTypeName(t));
    for (const n of ['setup', 'callProceeding', 'facility', 'progress', 'alerting', 'information', 'statusEnquiry', 'status', 'connect', 'releaseComplete'] as const) {
      expect(names, n).toContain(n);
    }
    const bodyIndex = (alt: string) => String(bodyAltIndex(alt));
    const expectedBodies = sent.map((e) => bodyIndex(e.uu!['h323-uu-pdu']['h323-message-body'].type));
    expect(frames.flatMap((f) => f.bodies)).toEqual(expectedBodies);
  });

  it('has no expert info from the Q.931/H.225 dissectors, and no expert warning or error at all', () => {
    const frames = readCapture();
    expect(frames.length).toBeGreaterThan(sent.length); // TCP handshake and FINs are there too
    // severities: chat 0x200000 (SYN/FIN), note 0x400000, warn 0x600000, error 0x800000. The
    // "Sequence" group (0x2000000) is TCP's own analysis of the kernel's timing (a spurious FIN
    // retransmission and its D-SACK when the machine is busy): not about what we sent.
    const SEQUENCE_GROUP = 0x2000000;
    const experts = frames.flatMap((f) => f.severities.map((s, i) => ({ severity: Number(s), group: Number(f.groups[i]), message: f.experts[i] })))
      .filter((x) => x.group !== SEQUENCE_GROUP);
    expect(experts.filter((x) => x.severity >= 0x600000)).toEqual([]);
    expect(experts.filter((x) => x.severity > 0x200000)).toEqual([]);
    expect(frames.filter((f) => f.types.length).flatMap((f) => f.severities)).toEqual([]);
  });
});

describe('one captured call: the IEs and H.225 fields tshark reads', () => {
  const fields = ['q931.message_type', 'q931.called_party_number.digits', 'q931.calling_party_number.digits', 'q931.display_information',
    'q931.keypad_facility', 'q931.cause_value', 'q931.call_state', 'h225.h245Tunnelling', 'h225.fastStart', 'h225.h245Control', 'h225.dialledDigits'] as const;
  function byMessage(): Map<string, Record<(typeof fields)[number], string>[]> {
    const out = spawnSync('tshark', ['-r', pcap, '-Y', 'q931', '-T', 'fields', '-E', 'separator=|', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
    const map = new Map<string, Record<(typeof fields)[number], string>[]>();
    for (const line of out.stdout.trimEnd().split('\n')) {
      const cols = line.split('|');
      if (cols[0]!.includes(',')) continue; // two messages in one segment: read by the type test above
      const row = Object.fromEntries(fields.map((f, i) => [f, cols[i] ?? ''])) as Record<(typeof fields)[number], string>;
      const name = messageTypeName(Number(row['q931.message_type']))!;
      map.set(name, [...(map.get(name) ?? []), row]);
    }
    return map;
  }

  it('Setup: numbers, display, dialled digits, three fastStart OLCs, tunnelling offered', () => {
    const [setup] = byMessage().get('setup')!;
    expect(setup).toMatchObject({
      'q931.called_party_number.digits': '4321', 'q931.calling_party_number.digits': '1001', 'q931.display_information': 'Room 7',
      'h225.dialledDigits': '4321', 'h225.fastStart': '3',
    });
    expect(['1', 'True']).toContain(setup!['h225.h245Tunnelling']);
  });

  it('Alerting carries the two accepted OLCs and one tunnelled PDU; the empty Facility carries two', () => {
    const m = byMessage();
    expect(m.get('alerting')![0]).toMatchObject({ 'h225.fastStart': '2', 'h225.h245Control': '1' });
    expect(m.get('facility')!.map((r) => r['h225.h245Control'])).toContain('2');
  });

  it('Information keypad "1#", Status cause 30 in call state 7, ReleaseComplete cause 16', () => {
    const m = byMessage();
    expect(m.get('information')![0]!['q931.keypad_facility']).toBe('1#');
    expect(m.get('status')![0]!['q931.cause_value']).toBe('30');
    expect(Number(m.get('status')![0]!['q931.call_state'])).toBe(7); // Table 4-6 U7 call received
    expect(m.get('releaseComplete')![0]!['q931.cause_value']).toBe('16');
  });
});

describe('one captured call, read by Erlang asn1', () => {
  it('decodes every H323-UserInformation we sent to the value we meant', async () => {
    expect(sent).toHaveLength(11); // Setup CallProceeding Facility Progress Alerting Information StatusEnquiry Status Facility Connect ReleaseComplete
    const t = codec.typeRef('H323-UserInformation') as Extract<AsnType, { kind: 'ref' }>;
    for (const e of sent) {
      const uuBytes = parseUserUser(findIe(decodeQ931(e.q931), IeId.userUser)!);
      const theirs = mapping.fromErlang(t, parseTerm(await peer.decode(t.ref, uuBytes)));
      expect(theirs, messageTypeName(e.q931[4]!)).toEqual(e.uu);
    }
    expect(sent.filter((e) => e.q931[4] === MessageType.setup)).toHaveLength(1);
  });

  it('and those of a refused call: fastConnectRefused, Facility callForwarded, ReleaseComplete destinationRejection', async () => {
    expect(refused.map((e) => messageTypeName(e.q931[4]!))).toEqual(['setup', 'callProceeding', 'alerting', 'facility', 'releaseComplete']);
    const t = codec.typeRef('H323-UserInformation') as Extract<AsnType, { kind: 'ref' }>;
    for (const e of refused) {
      const uuBytes = parseUserUser(findIe(decodeQ931(e.q931), IeId.userUser)!);
      expect(mapping.fromErlang(t, parseTerm(await peer.decode(t.ref, uuBytes))), messageTypeName(e.q931[4]!)).toEqual(e.uu);
    }
    const body = (i: number) => refused[i]!.uu!['h323-uu-pdu']['h323-message-body'].value as Record<string, unknown>;
    expect(body(1)).toHaveProperty('fastConnectRefused', null);
    expect(body(3).reason).toEqual({ type: 'callForwarded', value: null });
    expect(body(4).reason).toEqual({ type: 'destinationRejection', value: null });
  });
});

/** Index of an h323-message-body alternative as the dissector numbers it (root then extensions). */
function bodyAltIndex(alt: string): number {
  const resolve = (t: AsnType): AsnType => (t.kind === 'ref' ? resolve(codec.schema.types[t.ref]!) : t);
  const pduType = resolve(codec.typeRef('H323-UU-PDU'));
  if (pduType.kind !== 'sequence') throw new Error('H323-UU-PDU is not a SEQUENCE');
  const body = resolve(pduType.root.find((c) => c.name === 'h323-message-body')!.type);
  if (body.kind !== 'choice') throw new Error('h323-message-body is not a CHOICE');
  return [...body.root, ...(body.ext ?? [])].findIndex((a) => a.name === alt);
}

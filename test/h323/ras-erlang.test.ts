// Acceptance 5 (issue #5): the gateway's RAS endpoint against gatekeepers whose answers are
// encoded by Erlang's asn1 codec (an independent peer), over loopback UDP: registration with a
// lightweight keepalive before timeToLive runs out, admission, IRQ/IRR, bandwidth, disengage,
// unregistration both ways, a rejecting gatekeeper and a silent one. Every datagram the gateway
// sends is decoded by Erlang to the value we meant; tshark's H.225.0 RAS dissector reads them all
// without an expert message.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  H225_PROTOCOL_ID, admissionRequest, choice, disengageRequest, gatekeeperRequest, h225Address, h323Codec, infoRequestResponse,
  keepAliveRegistrationRequest, registrationRequest, unregistrationConfirm, unregistrationRequest, type AsnType, type IpPort, type RasMessage,
} from '../../h323/asn1/index.ts';
import {
  RasEndpoint, RasRejectError, RasTimeoutError, RasTransport, openUdpRasSocket, type RasCall, type RasEndpointOptions,
} from '../../h323/ras/index.ts';
import { ErlangAsn1Peer } from './erlang/erlang-peer.ts';
import { ErlangGatekeeper, type Behaviour, type Received } from './ras-erlang-gatekeeper.ts';

let peer: ErlangAsn1Peer;
const gatekeepers: ErlangGatekeeper[] = [];
const transports: RasTransport[] = [];
const endpoints: RasEndpoint[] = [];
/** Every datagram the gateway sent in this file, for the tshark check. */
const allSent: Uint8Array[] = [];

beforeAll(async () => {
  peer = ErlangAsn1Peer.start(); // compiles the modules once per content hash (about 30 s)
  // Wait for erl to be up, so the first gatekeeper's answers are not slower than the RAS timer.
  await peer.decode('H323-MESSAGES.RasMessage', Uint8Array.from([0x1c, 0x00, 0x00]));
}, 600_000);

afterEach(() => {
  for (const e of endpoints.splice(0)) e.close();
  for (const t of transports.splice(0)) t.close();
  for (const g of gatekeepers.splice(0)) {
    allSent.push(...g.received.map((r) => r.bytes));
    expect(g.errors).toEqual([]);
    // Cross-check in the other direction: Erlang reads every datagram we sent as our codec does.
    for (const r of g.received) expect(r.erlang).toEqual(r.ours);
    g.close();
  }
});

afterAll(() => peer?.close());

const CSA: IpPort = { ip: '127.0.0.1', port: 1720 };
const GK_ID = 'GK-ERLANG';
const seqOf = (m: RasMessage) => (m.value as { requestSeqNum: number }).requestSeqNum;

// ---- gatekeeper answers, as values Erlang encodes ------------------------------------------
const gcf = (seq: number, ras: IpPort) => choice('gatekeeperConfirm', { requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, gatekeeperIdentifier: GK_ID, rasAddress: h225Address(ras) });
const rcf = (seq: number, ttl: number) => choice('registrationConfirm', {
  requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, callSignalAddress: [h225Address(CSA)], gatekeeperIdentifier: GK_ID,
  endpointIdentifier: 'EP-0001', timeToLive: ttl, willRespondToIRR: false, maintainConnection: false,
});
const rrj = (seq: number, reason: { type: string; value: unknown }) => choice('registrationReject', { requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, rejectReason: reason, gatekeeperIdentifier: GK_ID });
const UUIES = { setup: false, callProceeding: false, connect: false, alerting: false, information: false, releaseComplete: false, facility: false, progress: false, empty: false, status: false, statusInquiry: false, setupAcknowledge: false, notify: false };
const acf = (seq: number, dest: IpPort, bw: number) => choice('admissionConfirm', {
  requestSeqNum: seq, bandWidth: bw, callModel: choice('direct', null), destCallSignalAddress: h225Address(dest), irrFrequency: 30, willRespondToIRR: false, uuiesRequested: UUIES,
});
const arj = (seq: number, reason: string) => choice('admissionReject', { requestSeqNum: seq, rejectReason: choice(reason, null) });

/** A gatekeeper that grants everything (TTL `ttl` s) and routes calls to `dest`. */
function granting(ttl: number, dest: IpPort, overrides: Partial<Record<string, Behaviour>> = {}): Behaviour {
  return (req, gk) => {
    const o = overrides[req.type];
    if (o) return o(req, gk);
    const seq = seqOf(req);
    switch (req.type) {
      case 'gatekeeperRequest': return gcf(seq, gk.address);
      case 'registrationRequest': return rcf(seq, ttl);
      case 'admissionRequest': return acf(seq, dest, (req.value as { bandWidth: number }).bandWidth);
      case 'bandwidthRequest': return choice('bandwidthConfirm', { requestSeqNum: seq, bandWidth: 3840 });
      case 'disengageRequest': return choice('disengageConfirm', { requestSeqNum: seq });
      case 'unregistrationRequest': return unregistrationConfirm(seq);
      default: return undefined;
    }
  };
}

async function endpointFor(gk: ErlangGatekeeper, o: Partial<RasEndpointOptions> & { timeoutMs?: number; retries?: number } = {}) {
  const transport = new RasTransport({ socket: await openUdpRasSocket('127.0.0.1', 0), timeoutMs: o.timeoutMs ?? 1000, retries: o.retries ?? 2 });
  transports.push(transport);
  const ep = new RasEndpoint({
    gatekeeper: { name: 'gk-erlang', host: '127.0.0.1', port: gk.address.port },
    transport,
    aliases: [{ h323Id: 'roomgate' }, { dialledDigits: '4400' }],
    prefixes: ['44', '0049'],
    callSignalAddress: CSA,
    timeToLiveS: 60,
    reregisterBackoffMs: 200,
    ...o,
  });
  endpoints.push(ep);
  return { ep, transport, ras: transport.localAddress() };
}

function call(answer = false): RasCall {
  return {
    callId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
    conferenceId: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i),
    callReference: 77,
    answerCall: answer,
    destination: [{ dialledDigits: '4471234' }],
    bandwidthKbps: 768,
  };
}

const is = (type: string) => (r: Received) => r.erlang.type === type;

describe('acceptance 5: RAS against an Erlang-encoding gatekeeper', () => {
  it('GRQ→GCF, RRQ→RCF, keepalive RRQ before TTL, ARQ→ACF, IRQ→IRR, BRQ→BCF, DRQ→DCF, URQ→UCF; Erlang reads each request as meant', async () => {
    const dest = { ip: '127.0.0.5', port: 1720 };
    const gk = await ErlangGatekeeper.start(peer, granting(2, dest));
    gatekeepers.push(gk);
    const { ep, ras } = await endpointFor(gk, { discovery: true });
    const registered = once(ep, 'registered');

    const reg = await ep.register();
    expect(reg).toEqual({ endpointId: 'EP-0001', gatekeeperId: GK_ID, timeToLiveS: 2 });
    expect(ep.state).toBe('registered');
    await registered;
    const rcfAt = Date.now();

    const grq = gk.received.find(is('gatekeeperRequest'));
    const rrq = gk.received.find(is('registrationRequest'));
    expect(grq!.erlang).toEqual(gatekeeperRequest({ seq: seqOf(grq!.erlang), rasAddress: ras, aliases: [{ h323Id: 'roomgate' }, { dialledDigits: '4400' }] }));
    expect(rrq!.erlang).toEqual(registrationRequest({
      seq: seqOf(rrq!.erlang), callSignalAddress: CSA, rasAddress: ras, aliases: [{ h323Id: 'roomgate' }, { dialledDigits: '4400' }],
      prefixes: ['44', '0049'], gatekeeperId: GK_ID, timeToLiveS: 60, discoveryComplete: true,
    }));

    // H.225.0 7.9.1: the lightweight RRQ arrives before the granted 2 s run out.
    const ka = await gk.waitFor((r) => is('registrationRequest')(r) && (r.erlang.value as { keepAlive: boolean }).keepAlive, 3000);
    expect(ka.at - rcfAt).toBeLessThan(2000);
    expect(ka.erlang).toEqual(keepAliveRegistrationRequest({
      seq: seqOf(ka.erlang), callSignalAddress: CSA, rasAddress: ras, endpointId: 'EP-0001', gatekeeperId: GK_ID, timeToLiveS: 60,
    }));
    expect(ka.erlang.value).not.toHaveProperty('terminalAlias');

    const c = call();
    const admission = await ep.admit(c);
    expect(admission).toEqual({ destCallSignalAddress: dest, bandwidthKbps: 768, callModel: 'direct', irrFrequencyS: 30 });
    const arq = gk.received.find(is('admissionRequest'))!;
    expect(arq.erlang).toEqual(admissionRequest({
      seq: seqOf(arq.erlang), endpointId: 'EP-0001', conferenceId: c.conferenceId, callId: c.callId, callReference: 77, answerCall: false,
      bandwidth: 7680, source: [{ h323Id: 'roomgate' }, { dialledDigits: '4400' }], destination: [{ dialledDigits: '4471234' }], gatekeeperId: GK_ID,
    }));

    // IRQ (all calls) → IRR listing the admitted call.
    const before = gk.received.length;
    await gk.sendRequest(choice('infoRequest', { requestSeqNum: 900, callReferenceValue: 0, callIdentifier: { guid: new Uint8Array(16) } }));
    const irr = await gk.waitFor(is('infoRequestResponse'), 3000, before);
    expect(irr.erlang).toEqual(infoRequestResponse({
      seq: 900, endpointId: 'EP-0001', rasAddress: ras, callSignalAddress: CSA, aliases: [{ h323Id: 'roomgate' }, { dialledDigits: '4400' }],
      calls: [{ endpointId: 'EP-0001', conferenceId: c.conferenceId, callId: c.callId, callReference: 77, originator: true, bandwidth: 7680 }],
    }));

    expect(await ep.bandwidth(c, 384)).toBe(384);
    expect((gk.received.find(is('bandwidthRequest'))!.erlang.value as { bandWidth: number }).bandWidth).toBe(3840);

    await ep.disengage(c);
    const drq = gk.received.find(is('disengageRequest'))!;
    expect(drq.erlang).toEqual(disengageRequest({
      seq: seqOf(drq.erlang), endpointId: 'EP-0001', conferenceId: c.conferenceId, callId: c.callId, callReference: 77, answeredCall: false,
    }));

    const unreg = once(ep, 'unregistered');
    await ep.unregister();
    expect(await unreg).toEqual([{ by: 'us' }]);
    expect(ep.state).toBe('unregistered');
    const urq = gk.received.find(is('unregistrationRequest'))!;
    expect(urq.erlang).toEqual(unregistrationRequest({
      seq: seqOf(urq.erlang), callSignalAddress: CSA, aliases: [{ h323Id: 'roomgate' }, { dialledDigits: '4400' }], endpointId: 'EP-0001', gatekeeperId: GK_ID,
    }));
    // The keepalive's RCF kept the registration: no full RRQ after the first.
    expect(ep.stats()).toMatchObject({ registrations: 1, admissions: 1, disengages: 1, activeCalls: 0 });
    expect(gk.received.filter((r) => is('registrationRequest')(r) && !(r.erlang.value as { keepAlive: boolean }).keepAlive)).toHaveLength(1);
    expect(ep.stats().keepAlives).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a keepalive refused with fullRegistrationRequired is followed by a full RRQ (aliases, prefixes)', async () => {
    let keepalives = 0;
    const gk = await ErlangGatekeeper.start(peer, granting(1, CSA, {
      registrationRequest: (req) => {
        const v = req.value as { keepAlive: boolean };
        if (v.keepAlive && keepalives++ === 0) return rrj(seqOf(req), choice('fullRegistrationRequired', null));
        return rcf(seqOf(req), 1);
      },
    }));
    gatekeepers.push(gk);
    const { ep } = await endpointFor(gk);
    await ep.register();
    const again = once(ep, 'registered'); // emitted by the full re-registration
    const ka = await gk.waitFor((r) => is('registrationRequest')(r) && (r.erlang.value as { keepAlive: boolean }).keepAlive, 3000);
    const full = await gk.waitFor((r) => is('registrationRequest')(r) && !(r.erlang.value as { keepAlive: boolean }).keepAlive, 3000, gk.received.indexOf(ka) + 1);
    expect((full.erlang.value as { terminalAlias: unknown[] }).terminalAlias).toHaveLength(2);
    await again;
    expect(ep.state).toBe('registered');
    expect(ep.stats().registrations).toBe(2);
  }, 30_000);

  it('a gatekeeper that rejects: RRJ duplicateAlias fails register() with an error naming the reason', async () => {
    const gk = await ErlangGatekeeper.start(peer, (req) => rrj(seqOf(req), choice('duplicateAlias', [choice('h323-ID', 'roomgate')])));
    gatekeepers.push(gk);
    const { ep } = await endpointFor(gk);
    const errors: Error[] = [];
    ep.on('error', (e) => errors.push(e));
    const err = await ep.register().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasRejectError);
    expect((err as RasRejectError).reason).toBe('duplicateAlias');
    expect((err as Error).message).toBe('gatekeeper gk-erlang rejected registrationRequest: duplicateAlias');
    expect(errors).toEqual([err]);
    expect(ep.state).toBe('unregistered');
    expect(gk.received).toHaveLength(1); // a reject is final: no retransmission
    expect(gk.received[0]!.erlang.value).toMatchObject({ discoveryComplete: false, keepAlive: false }); // no GRQ was made
  }, 30_000);

  it('a gatekeeper that rejects admission: ARJ calledPartyNotRegistered fails admit() naming the reason', async () => {
    const gk = await ErlangGatekeeper.start(peer, granting(60, CSA, { admissionRequest: (req) => arj(seqOf(req), 'calledPartyNotRegistered') }));
    gatekeepers.push(gk);
    const { ep } = await endpointFor(gk);
    await ep.register();
    const err = await ep.admit(call(true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasRejectError);
    expect((err as Error).message).toBe('gatekeeper gk-erlang rejected admissionRequest: calledPartyNotRegistered');
    expect((err as RasRejectError).releaseReason).toBe('calledPartyNotRegistered');
    expect(ep.stats()).toMatchObject({ admissions: 0, admissionRejects: 1, activeCalls: 0, state: 'registered' });
    const arq = gk.received.find(is('admissionRequest'))!;
    expect((arq.erlang.value as { answerCall: boolean }).answerCall).toBe(true);
  }, 30_000);

  it('a gatekeeper that never answers: the RRQ is sent 1 + retries times, then RasTimeoutError names message and gatekeeper', async () => {
    const gk = await ErlangGatekeeper.start(peer, () => undefined);
    gatekeepers.push(gk);
    const { ep, transport } = await endpointFor(gk, { timeoutMs: 150, retries: 2 });
    const started = Date.now();
    const err = await ep.register().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RasTimeoutError);
    expect((err as Error).message).toMatch(new RegExp(`^RAS registrationRequest to gatekeeper gk-erlang \\(127\\.0\\.0\\.1:${gk.address.port}\\) unanswered after 3 attempt\\(s\\), 150 ms each$`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(440);
    await gk.waitFor(() => gk.received.filter(is('registrationRequest')).length >= 3); // Erlang may still be decoding the last
    const rrqs = gk.received.filter(is('registrationRequest'));
    expect(rrqs).toHaveLength(3);
    expect(new Set(rrqs.map((r) => seqOf(r.erlang))).size).toBe(1); // retransmissions keep requestSeqNum
    expect(transport.stats).toMatchObject({ requestsSent: 1, retransmissions: 2, timeouts: 1 });
    expect(ep.state).toBe('unregistered');
  }, 30_000);

  it('a gatekeeper-initiated URQ is answered with UCF (read by Erlang), the endpoint reports it and registers again', async () => {
    const gk = await ErlangGatekeeper.start(peer, granting(60, CSA));
    gatekeepers.push(gk);
    const { ep } = await endpointFor(gk);
    await ep.register();
    const unreg = once(ep, 'unregistered');
    const before = gk.received.length;
    await gk.sendRequest(choice('unregistrationRequest', {
      requestSeqNum: 4321, callSignalAddress: [h225Address(CSA)], endpointIdentifier: 'EP-0001', reason: choice('maintenance', null),
    }));
    const ucf = await gk.waitFor(is('unregistrationConfirm'), 3000, before);
    expect(ucf.erlang).toEqual(unregistrationConfirm(4321));
    expect(await unreg).toEqual([{ by: 'gatekeeper', reason: 'maintenance' }]);
    // Re-registration after the backoff (200 ms here): a full RRQ and a new 'registered'.
    await once(ep, 'registered');
    const again = await gk.waitFor(is('registrationRequest'), 3000, before);
    expect((again.erlang.value as { keepAlive: boolean }).keepAlive).toBe(false);
    expect(ep.state).toBe('registered');
  }, 30_000);

  it('a URQ naming another endpoint identifier gets URJ notCurrentlyRegistered and changes nothing', async () => {
    const gk = await ErlangGatekeeper.start(peer, granting(60, CSA));
    gatekeepers.push(gk);
    const { ep } = await endpointFor(gk);
    await ep.register();
    const before = gk.received.length;
    await gk.sendRequest(choice('unregistrationRequest', { requestSeqNum: 55, callSignalAddress: [h225Address(CSA)], endpointIdentifier: 'EP-other' }));
    const urj = await gk.waitFor(is('unregistrationReject'), 3000, before);
    expect(urj.erlang).toEqual(choice('unregistrationReject', { requestSeqNum: 55, rejectReason: choice('notCurrentlyRegistered', null) }));
    expect(ep.state).toBe('registered');
  }, 30_000);
});

describe('tshark reads every RAS datagram the gateway sent', () => {
  it('as a RasMessage of the type Erlang decoded, with no expert message', () => {
    expect(allSent.length).toBeGreaterThanOrEqual(20);
    const codec = h323Codec();
    let t = codec.typeRef('RasMessage') as AsnType;
    while (t.kind === 'ref') t = codec.schema.types[t.ref]!;
    const alts = t.kind === 'choice' ? [...t.root, ...(t.ext ?? [])].map((a) => a.name) : [];
    const dir = mkdtempSync(join(tmpdir(), 'roomgate-ras-'));
    try {
      const hexdump = allSent.map((bytes) => {
        let out = '';
        for (let i = 0; i < bytes.length; i += 16) {
          out += `${i.toString(16).padStart(6, '0')} ${[...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`;
        }
        return out;
      }).join('');
      writeFileSync(join(dir, 'ras.txt'), hexdump);
      execFileSync('text2pcap', ['-q', '-4', '127.0.0.1,127.0.0.2', '-u', '1719,1719', join(dir, 'ras.txt'), join(dir, 'ras.pcap')], { stdio: 'pipe' });
      const out = execFileSync('tshark', ['-r', join(dir, 'ras.pcap'), '-T', 'fields', '-E', 'occurrence=f', '-e', 'h225.RasMessage',
        '-e', '_ws.expert.message', '-e', '_ws.expert.severity'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out.trimEnd().split('\n').map((l) => l.split('\t'));
      expect(rows).toHaveLength(allSent.length);
      const codecTypes = allSent.map((b) => codec.decode('RasMessage', b) as RasMessage);
      rows.forEach((row, i) => {
        expect({ i, ras: row[0], expert: row[1] ?? '', severity: row[2] ?? '' })
          .toEqual({ i, ras: String(alts.indexOf(codecTypes[i]!.type)), expert: '', severity: '' });
      });
      console.log(`tshark: ${rows.length} RAS datagrams (${[...new Set(codecTypes.map((m) => m.type))].join(', ')}), 0 expert messages`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

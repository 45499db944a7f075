// Issue #5: the gateway as a gatekeeper's endpoint, end to end. The gatekeeper is
// test/h323/ras-erlang-gatekeeper.ts: every answer it sends is encoded by Erlang's asn1 codec and
// every datagram the gateway sends is decoded by Erlang. With h323.gatekeepers configured the
// gateway registers its H.225.0 listener (RRQ/RCF); an incoming H.323 call is admitted first
// (ARQ answerCall TRUE) and disengaged after release (DRQ); an ARJ refuses the call with a
// ReleaseComplete carrying the ARJ's reason; a gatekeeper DRQ releases the call; dial-out to
// h323:<alias> asks the gatekeeper (ARQ answerCall FALSE, destinationInfo the alias) and sends
// the Setup to the ACF's destCallSignalAddress (an answering room endpoint); shutdown sends URQ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H225_PROTOCOL_ID, choice, disengageRequest, h225Address, unregistrationConfirm, type IpPort, type RasMessage } from '../../h323/asn1/index.ts';
import { H323CallFailure } from '../../h323/h225/index.ts';
import { H323Room, H323RoomListener } from '../helpers/h323-room.ts';
import { ErlangAsn1Peer } from '../h323/erlang/erlang-peer.ts';
import { ErlangGatekeeper, type Behaviour, type Received } from '../h323/ras-erlang-gatekeeper.ts';
import { startAdminApi } from '../../gateway/admin-api.ts';
import { runCli } from '../../gateway/cli/main.ts';
import { capturingLogger, startHarness, type Harness } from './harness.ts';

const ROOM = 'demo';
const GK_ID = 'GK-ERLANG';
let peer: ErlangAsn1Peer;
let gk: ErlangGatekeeper;
let h: Harness | undefined;
let callee: H323RoomListener;

const seqOf = (m: RasMessage) => (m.value as { requestSeqNum: number }).requestSeqNum;
const is = (type: string) => (r: Received) => r.ours.type === type;
const UUIES = { setup: false, callProceeding: false, connect: false, alerting: false, information: false, releaseComplete: false, facility: false, progress: false, empty: false, status: false, statusInquiry: false, setupAcknowledge: false, notify: false };
const arqOf = (r: Received) => r.erlang.value as { answerCall: boolean; callIdentifier: { guid: Uint8Array }; conferenceID: Uint8Array; callReferenceValue: number; destinationInfo?: unknown[] };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Grants everything; an ARQ for a call we place is routed to the answering room endpoint. */
function granting(calleeAddress: () => IpPort): Behaviour {
  return (req) => {
    const seq = seqOf(req);
    switch (req.type) {
      case 'registrationRequest':
        return choice('registrationConfirm', {
          requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, callSignalAddress: [], gatekeeperIdentifier: GK_ID,
          endpointIdentifier: 'EP-0042', timeToLive: 300, willRespondToIRR: false, maintainConnection: false,
        });
      case 'admissionRequest': {
        const v = req.value as { bandWidth: number; answerCall: boolean; srcCallSignalAddress?: unknown };
        return choice('admissionConfirm', {
          requestSeqNum: seq, bandWidth: v.bandWidth, callModel: choice('direct', null),
          destCallSignalAddress: h225Address(v.answerCall ? { ip: '127.0.0.1', port: h!.gateway.h323Port! } : calleeAddress()),
          willRespondToIRR: false, uuiesRequested: UUIES,
        });
      }
      case 'disengageRequest': return choice('disengageConfirm', { requestSeqNum: seq });
      case 'unregistrationRequest': return unregistrationConfirm(seq);
      default: return undefined;
    }
  };
}

beforeAll(async () => {
  peer = ErlangAsn1Peer.start();
  await peer.decode('H323-MESSAGES.RasMessage', Uint8Array.from([0x1c, 0x00, 0x00])); // erl up before the first RRQ
  callee = await H323RoomListener.listen({ name: 'gk-room', toneHz: 440 });
  gk = await ErlangGatekeeper.start(peer, granting(() => ({ ip: '127.0.0.1', port: callee.port })));
  h = await startHarness({
    mediaPorts: { min: 49030, max: 49069 },
    yaml: [
      'h323:',
      '  signalling: { enabled: true, bind: 127.0.0.1, port: 0 }',
      '  ras: { bind: 127.0.0.1, port: 0 }',
      `  gatekeepers: [{ name: gk1, host: 127.0.0.1, port: ${gk.address.port}, aliases: { h323Id: [roomgate], e164: ['4400'] } }]`,
      "  dialOut: { permitted: ['gk-room'] }",
    ].join('\n'),
  });
}, 600_000);

afterAll(async () => {
  await callee?.close();
  await h?.close();
  gk?.close();
  peer?.close();
});

describe('gatekeeper-routed H.323 calls', () => {
  it('registers the H.225.0 listener with the gatekeeper (RRQ → RCF); GET /api/gatekeepers shows it', async () => {
    const rrq = await gk.waitFor(is('registrationRequest'), 10_000);
    const csa = (rrq.erlang.value as { callSignalAddress: unknown[] }).callSignalAddress;
    expect(JSON.stringify(csa)).toContain(String(h!.gateway.h323Port));
    await expect.poll(() => h!.gateway.gatekeeperSummaries()[0]?.state, { timeout: 5000 }).toBe('registered');
    expect(h!.gateway.gatekeeperSummaries()[0]).toMatchObject({ name: 'gk1', endpointId: 'EP-0042', gatekeeperId: GK_ID });
    // `roomgate gatekeepers` → GET /api/gatekeepers
    const token = 'h323-gatekeeper-test-token-0123456789';
    const admin = await startAdminApi(h!.gateway, { bind: '127.0.0.1', port: 0, token, logger: capturingLogger(h!.logs) });
    try {
      const lines: string[] = [];
      expect(await runCli(['--admin', `http://127.0.0.1:${admin.port}`, '--token', token, 'gatekeepers'], (l) => lines.push(l))).toBe(0);
      expect(JSON.parse(lines.join('\n'))).toMatchObject([{ name: 'gk1', state: 'registered', endpointId: 'EP-0042', stats: { registrations: 1 } }]);
    } finally {
      await admin.close();
    }
  });

  it('an incoming call is admitted (ARQ answerCall TRUE, same callIdentifier) and disengaged after release (DRQ)', async () => {
    const before = gk.received.length;
    const room = await H323Room.dial({ gatewayPort: h!.gateway.h323Port!, mode: 'fastStart', name: 'gk-caller', calledAliases: [{ h323Id: ROOM }] });
    const arq = await gk.waitFor(is('admissionRequest'), 5000, before);
    expect(arqOf(arq).answerCall).toBe(true);
    expect(hex(arqOf(arq).callIdentifier.guid)).toBe(room.call.callId);
    expect(hex(arqOf(arq).conferenceID)).toBe(hex(room.call.conferenceId));
    await expect.poll(() => h!.gateway.activeCalls().length, { timeout: 5000 }).toBe(1);
    room.hangup();
    const drq = await gk.waitFor(is('disengageRequest'), 5000, before);
    expect(hex((drq.erlang.value as { callIdentifier: { guid: Uint8Array } }).callIdentifier.guid)).toBe(room.call.callId);
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('ARJ: the incoming call ends with ReleaseComplete carrying the ARJ reason, no call is left', async () => {
    const granted = gk.behaviour;
    gk.behaviour = (req, g) => req.type === 'admissionRequest'
      ? choice('admissionReject', { requestSeqNum: seqOf(req), rejectReason: choice('calledPartyNotRegistered', null) })
      : granted(req, g);
    try {
      const err = await H323Room.dial({ gatewayPort: h!.gateway.h323Port!, mode: 'fastStart', name: 'gk-refused', calledAliases: [{ h323Id: ROOM }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(H323CallFailure);
      expect((err as H323CallFailure).end).toMatchObject({ by: 'remote', reason: 'calledPartyNotRegistered', cause: 21 });
    } finally {
      gk.behaviour = granted;
    }
    expect(h!.gateway.stats().activeCalls).toBe(0);
    await expect.poll(() => h!.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });

  it('a DRQ from the gatekeeper releases the call it names', async () => {
    const before = gk.received.length;
    const room = await H323Room.dial({ gatewayPort: h!.gateway.h323Port!, mode: 'fastStart', name: 'gk-dropped', calledAliases: [{ h323Id: ROOM }] });
    const arq = await gk.waitFor(is('admissionRequest'), 5000, before);
    const released = new Promise<{ by: string; cause?: number }>((resolve) => room.call.once('released', resolve));
    await gk.sendRequest(disengageRequest({
      seq: 7001, endpointId: 'EP-0042', conferenceId: arqOf(arq).conferenceID, callId: arqOf(arq).callIdentifier.guid,
      callReference: arqOf(arq).callReferenceValue, answeredCall: true, reason: 'forcedDrop',
    }));
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    room.stop();
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });

  it('dial-out to h323:gk-room: ARQ answerCall FALSE with the alias, ACF → Setup to the room, answered; DRQ after', async () => {
    const before = gk.received.length;
    const answered = callee.nextRoom();
    const outcome = await h!.gateway.dialOut({ meeting: ROOM, to: 'h323:gk-room' });
    expect(outcome).toMatchObject({ status: 'answered', protocol: 'h323' });
    const arq = gk.received.slice(before).find(is('admissionRequest'))!;
    expect(arqOf(arq).answerCall).toBe(false);
    expect(arqOf(arq).destinationInfo).toEqual([{ type: 'h323-ID', value: 'gk-room' }]);
    expect(hex(arqOf(arq).callIdentifier.guid)).toBe(outcome.callId);
    const room = await answered;
    expect(room.call.callId).toBe(outcome.callId); // the Setup carries the callIdentifier the ARQ named
    await room.waitForReceivedAudio(1);
    room.hangup();
    const drq = await gk.waitFor(is('disengageRequest'), 5000, before);
    expect(hex((drq.erlang.value as { callIdentifier: { guid: Uint8Array } }).callIdentifier.guid)).toBe(outcome.callId);
    await expect.poll(() => h!.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });

  it('dial-out refused by the gatekeeper (ARJ) fails with the reason, no Setup is sent', async () => {
    const granted = gk.behaviour;
    const rooms = callee.rooms.length;
    gk.behaviour = (req, g) => req.type === 'admissionRequest'
      ? choice('admissionReject', { requestSeqNum: seqOf(req), rejectReason: choice('calledPartyNotRegistered', null) })
      : granted(req, g);
    try {
      const outcome = await h!.gateway.dialOut({ meeting: ROOM, to: 'h323:gk-room' });
      expect(outcome).toMatchObject({ status: 'failed', protocol: 'h323', reason: 'gatekeeper rejected: calledPartyNotRegistered' });
    } finally {
      gk.behaviour = granted;
    }
    expect(callee.rooms.length).toBe(rooms);
  });

  it('a reload: gatekeeper changes need a restart (logged, registration kept); dialOut.permitted applies at once', async () => {
    const cfg = h!.config;
    h!.gateway.applyConfig({ ...cfg, h323: { ...cfg.h323!, gatekeepers: [], dialOut: { permitted: [], video: false } } });
    expect(h!.logs.find((l) => l.message === 'configuration changes that need a restart were not applied')).toMatchObject({ keys: ['h323'] });
    expect(h!.gateway.gatekeeperSummaries()[0]?.state).toBe('registered');
    expect(await h!.gateway.dialOut({ meeting: ROOM, to: 'h323:gk-room' })).toMatchObject({ status: 'failed', callId: '', sipStatus: 403 });
    h!.gateway.applyConfig(cfg);
  });

  it('shutdown with a call up: ReleaseComplete, DRQ, then URQ; Erlang read every datagram as our codec did', async () => {
    const before = gk.received.length;
    const room = await H323Room.dial({ gatewayPort: h!.gateway.h323Port!, mode: 'fastStart', name: 'gk-last', calledAliases: [{ h323Id: ROOM }] });
    const released = new Promise<{ by: string; cause?: number }>((resolve) => room.call.once('released', resolve));
    await h!.close();
    h = undefined;
    expect(await released).toMatchObject({ by: 'remote', cause: 16 });
    room.stop();
    const drq = await gk.waitFor(is('disengageRequest'), 5000, before);
    const urq = await gk.waitFor(is('unregistrationRequest'), 5000, before);
    expect(hex((drq.erlang.value as { callIdentifier: { guid: Uint8Array } }).callIdentifier.guid)).toBe(room.call.callId);
    expect(gk.received.indexOf(drq)).toBeLessThan(gk.received.indexOf(urq));
    expect(gk.errors).toEqual([]);
    for (const r of gk.received) expect(r.erlang).toEqual(r.ours);
  });
});

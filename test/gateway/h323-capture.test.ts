// Issue #5 acceptance 2, literally: "During a live loopback call, tshark decodes every
// Q.931/H.225/H.245/RAS message the project sends with zero expert errors or warnings from those
// dissectors." One tshark capture on lo holds everything the gateway sends and receives on its
// RAS socket (to an Erlang-codec gatekeeper: GRQ, RRQ, ARQ, DRQ, URQ), its H.225.0 listener and
// every H.245 connection, while H.323 rooms call it in turn: fastStart, tunnelled H.245 without
// fastStart, a separate H.245 channel to the room's listener, and a separate H.245 channel to
// the gateway's own listener. Each call carries DTMF both ways (userInputIndication) and a
// videoFastUpdatePicture both ways (a second room joining the meeting consumes the caller's
// video, so the meeting asks the caller for a keyframe) with an RTCP PLI to the video RTCP port
// the room announced. Calls are hung up by the room and by the gateway in turn (the gateway's
// clearing closes its logical channels first, H.323 8.5). Then one dial-out through the
// gatekeeper, then shutdown (URQ). tshark reads the file with decode-as rules for the RAS port
// and every H.245 port announced in H.225.0 (it does not follow h245Address on its own).
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { H225_PROTOCOL_ID, choice, h225Address, unregistrationConfirm, type IpPort, type RasMessage } from '../../h323/asn1/index.ts';
import { startHarness, type Harness } from '../e2e/harness.ts';
import { ErlangAsn1Peer } from '../h323/erlang/erlang-peer.ts';
import { ErlangGatekeeper, type Behaviour, type Received } from '../h323/ras-erlang-gatekeeper.ts';
import { H323Room, H323RoomListener, makeH264File, type H323RoomMode } from '../helpers/h323-room.ts';
import { protocolExperts, TsharkCapture } from '../helpers/tshark-capture.ts';

const ROOM = 'demo';
const GK_ID = 'GK-CAPTURE';
const MODES: H323RoomMode[] = ['fastStart', 'tunnel', 'separate', 'gatewayListens'];
const UUIES = { setup: false, callProceeding: false, connect: false, alerting: false, information: false, releaseComplete: false, facility: false, progress: false, empty: false, status: false, statusInquiry: false, setupAcknowledge: false, notify: false };

let peer: ErlangAsn1Peer | undefined;
let gk: ErlangGatekeeper | undefined;
let h: Harness | undefined;
let callee: H323RoomListener | undefined;
let capture: TsharkCapture | undefined;
const videoDir = mkdtempSync(join(tmpdir(), 'roomgate-h323-capture-video-'));
/** Ports fixed while the gateway runs (read after it is closed). */
const ports = { gk: 0, h225: 0, callee: 0 };
/** Per call: what the rooms saw, asserted below. */
const seen: { mode: string; fastUpdates: number; userInput: number; gatewayDigits: string; keyframesFromRoom: number }[] = [];

const seqOf = (m: RasMessage) => (m.value as { requestSeqNum: number }).requestSeqNum;
const is = (type: string) => (r: Received) => r.ours.type === type;

/** GRQ → GCF, RRQ → RCF, ARQ → ACF (answerCall: the gateway; else the answering room), DRQ → DCF, URQ → UCF. */
function granting(calleeAddress: () => IpPort): Behaviour {
  return (req) => {
    const seq = seqOf(req);
    switch (req.type) {
      case 'gatekeeperRequest':
        return choice('gatekeeperConfirm', { requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, gatekeeperIdentifier: GK_ID, rasAddress: h225Address(gk!.address) });
      case 'registrationRequest':
        return choice('registrationConfirm', {
          requestSeqNum: seq, protocolIdentifier: H225_PROTOCOL_ID, callSignalAddress: [], gatekeeperIdentifier: GK_ID,
          endpointIdentifier: 'EP-0007', timeToLive: 300, willRespondToIRR: false, maintainConnection: false,
        });
      case 'admissionRequest': {
        const v = req.value as { bandWidth: number; answerCall: boolean };
        return choice('admissionConfirm', {
          requestSeqNum: seq, bandWidth: v.bandWidth, callModel: choice('direct', null),
          destCallSignalAddress: h225Address(v.answerCall ? { ip: '127.0.0.1', port: ports.h225 } : calleeAddress()),
          willRespondToIRR: false, uuiesRequested: UUIES,
        });
      }
      case 'disengageRequest': return choice('disengageConfirm', { requestSeqNum: seq });
      case 'unregistrationRequest': return unregistrationConfirm(seq);
      default: return undefined;
    }
  };
}

/** Polls `f` until it holds: the rooms' and the gateway's states are counters and summaries, not events. */
async function until(what: string, f: () => boolean, timeoutMs = 20_000): Promise<void> {
  await vi.waitFor(() => {
    if (!f()) throw new Error(`still waiting: ${what}`);
  }, { timeout: timeoutMs, interval: 50 });
}

/** One call from a room in `mode`: DTMF both ways, videoFastUpdatePicture both ways, hang-up. */
async function oneCall(mode: H323RoomMode, video: string, hangupBy: 'room' | 'gateway'): Promise<void> {
  const gw = h!.gateway;
  const before = gk!.received.length;
  const room = await H323Room.dial({ gatewayPort: ports.h225, mode, name: `capture-${mode}`, toneHz: 440, video: { file: video, fps: 15 }, calledAliases: [{ h323Id: ROOM }] });
  try {
    await gk!.waitFor(is('admissionRequest'), 10_000, before);
    await until(`${mode}: call active`, () => gw.activeCalls()[0]?.state === 'active');
    await until(`${mode}: H.245 capabilities acked`, () => room.session?.capabilitiesAcked === true);
    const callId = gw.activeCalls()[0]!.callId;
    // DTMF room → gateway (userInputIndication alphanumeric) and gateway → room (signal)
    room.sendUserInput('5');
    await until(`${mode}: the gateway got 5`, () => gw.activeCalls()[0]?.dtmf?.lastDigits === '5');
    expect(gw.sendDtmf(callId, ['7'])).toBe('ok');
    await until(`${mode}: the room got 7`, () => room.userInput.length > 0);
    await keyframesBothWays(mode, room, video);
    seen.push({ mode, fastUpdates: room.fastUpdates.length, userInput: room.userInput.length, gatewayDigits: gw.activeCalls()[0]!.dtmf!.lastDigits, keyframesFromRoom: gw.activeCalls()[0]!.keyframes.fromRoom });
    if (hangupBy === 'gateway') {
      const released = new Promise((r) => room.call.once('released', r));
      expect(gw.hangUp(callId)).toBe(true);
      await released;
      room.stop();
    } else {
      room.hangup();
    }
    await gk!.waitFor((r) => r.ours.type === 'disengageRequest', 10_000, before);
    await until(`${mode}: no call left`, () => gw.stats().activeCalls === 0 && gw.stats().mediaPortsInUse === 0);
  } finally {
    room.stop();
  }
}

/**
 * videoFastUpdatePicture both ways: a second room joins the meeting and its leg consumes this
 * room's video (the meeting asks for a keyframe → VFU to the room); then the room's own VFU on the
 * gateway's video channel (102).
 */
async function keyframesBothWays(mode: H323RoomMode, room: H323Room, video: string): Promise<void> {
  const gw = h!.gateway;
  await until(`${mode}: the room's video channel is open`, () => room.gatewayVideo !== undefined);
  const observer = await H323Room.dial({ gatewayPort: ports.h225, mode: 'fastStart', name: `observer-${mode}`, toneHz: 880, video: { file: video, fps: 15 }, calledAliases: [{ h323Id: ROOM }] });
  try {
    await until(`${mode}: videoFastUpdatePicture reached the room`, () => room.fastUpdates.length > 0);
    // with it an RTCP PLI (RFC 4585 6.3.1), sent to the video RTCP port the room announced (not RTP + 1)
    await until(`${mode}: the PLI reached the room's video mediaControlChannel`, () => room.rtcpPacketsReceived.video > 0);
  } finally {
    observer.hangup();
  }
  await until(`${mode}: observer gone`, () => gw.activeCalls().length === 1);
  // keyframe request room → gateway: videoFastUpdatePicture on the gateway's video channel (102)
  room.session!.sendVideoFastUpdate(102);
  await until(`${mode}: the gateway got the room's VFU`, () => gw.activeCalls()[0]?.keyframes.fromRoom === 1);
}

beforeAll(async () => {
  const video = makeH264File(join(videoDir, 'room.h264'));
  peer = ErlangAsn1Peer.start();
  await peer.decode('H323-MESSAGES.RasMessage', Uint8Array.from([0x1c, 0x00, 0x00])); // erl up before the first GRQ
  callee = await H323RoomListener.listen({ name: 'capture-callee', toneHz: 440 });
  gk = await ErlangGatekeeper.start(peer, granting(() => ({ ip: '127.0.0.1', port: callee!.port })));
  ports.gk = gk.address.port;
  ports.callee = callee.port;
  // every TCP segment on lo (H.245 ports are ephemeral and learnt from the capture), RAS to our gatekeeper
  capture = await TsharkCapture.start(`tcp or udp port ${ports.gk}`, 'roomgate-h323-capture-');
  h = await startHarness({
    mediaPorts: { min: 49410, max: 49449 },
    yaml: [
      'h323:',
      '  signalling: { enabled: true, bind: 127.0.0.1, port: 0 }',
      '  ras: { bind: 127.0.0.1, port: 0 }',
      `  gatekeepers: [{ name: gk1, host: 127.0.0.1, port: ${ports.gk}, discovery: true, aliases: { h323Id: [roomgate], e164: ['4400'] } }]`,
      "  dialOut: { permitted: ['capture-callee'] }",
    ].join('\n'),
  });
  ports.h225 = h.gateway.h323Port!;
  await until('registered', () => h!.gateway.gatekeeperSummaries()[0]?.state === 'registered', 10_000);
  for (const [i, mode] of MODES.entries()) await oneCall(mode, video, i % 2 ? 'gateway' : 'room');
  // dial-out through the gatekeeper (ARQ answerCall FALSE), DTMF to the room, hung up by the gateway
  const before = gk.received.length;
  const answered = callee.nextRoom();
  const outcome = await h.gateway.dialOut({ meeting: ROOM, to: 'h323:capture-callee' });
  expect(outcome.status, outcome.reason).toBe('answered');
  const room = await answered;
  await until('dial-out: H.245 capabilities acked', () => room.session?.capabilitiesAcked === true);
  expect(h.gateway.sendDtmf(outcome.callId, ['9'])).toBe('ok');
  await until('dial-out: the room got 9', () => room.userInput.length > 0);
  const released = new Promise((r) => room.call.once('released', r));
  expect(h.gateway.hangUp(outcome.callId)).toBe(true);
  await released;
  await gk.waitFor(is('disengageRequest'), 10_000, before);
  await until('dial-out: no call left', () => h!.gateway.stats().activeCalls === 0);
  // shutdown: URQ
  const urqFrom = gk.received.length;
  await h.close();
  h = undefined;
  await gk.waitFor(is('unregistrationRequest'), 10_000, urqFrom);
  await capture.stop();
}, 300_000);

afterAll(async () => {
  await capture?.stop().catch(() => undefined);
  if (capture && process.env.ROOMGATE_KEEP_PCAP) copyFileSync(capture.pcap, process.env.ROOMGATE_KEEP_PCAP); // for a look in Wireshark
  capture?.remove();
  await callee?.close();
  await h?.close();
  gk?.close();
  peer?.close();
  rmSync(videoDir, { recursive: true, force: true });
});

type Protocol = 'ras' | 'q931' | 'h225' | 'h245';
interface Decoded { frame: number; stream: number; sent: boolean; protocol: Protocol; type: string }

/** The name in a PDML showname such as "request: terminalCapabilitySet (2)" or "Message type: SETUP (0x05)". */
const nameIn = (showname: string) => /:\s*(.+?)\s*\(/.exec(showname)?.[1] ?? showname;
const H245_KINDS = ['h245.request', 'h245.response', 'h245.command', 'h245.indication'];

/** What the capture holds, read once: decode-as rules, the gateway's side of every port, every message decoded. */
function readCapture(): { decodeAs: string[]; ourTraffic: string; messages: Decoded[]; h245Ports: { gateway: number[]; room: number[] }; h225StreamOf: Map<number, number> } {
  const c = capture!;
  // H.245 addresses announced in H.225.0 (Setup, Connect, Facility…): whose listener each is
  const h225Filter = `tcp.port == ${ports.h225} || tcp.port == ${ports.callee}`;
  const gatewaySendsH225 = (src: number, dst: number) => src === ports.h225 || dst === ports.callee;
  const h245Ports = { gateway: new Set<number>(), room: new Set<number>() };
  /** Each H.245 port → the H.225.0 connection (tcp.stream) that announced it. */
  const h225StreamOf = new Map<number, number>();
  for (const f of c.pdml(`q931 && (${h225Filter})`)) {
    const src = Number(f.find((x) => x.name === 'tcp.srcport')?.show);
    const dst = Number(f.find((x) => x.name === 'tcp.dstport')?.show);
    const stream = Number(f.find((x) => x.name === 'tcp.stream')?.show);
    for (const x of f.filter((y) => y.name === 'h225.h245IpPort')) {
      (gatewaySendsH225(src, dst) ? h245Ports.gateway : h245Ports.room).add(Number(x.show));
      h225StreamOf.set(Number(x.show), stream);
    }
  }
  const allH245 = [...h245Ports.gateway, ...h245Ports.room];
  const decodeAs = [`udp.port==${ports.gk},h225`, ...allH245.map((p) => `tcp.port==${p},h245`)];
  const ourTraffic = [`udp.port == ${ports.gk}`, h225Filter, ...allH245.map((p) => `tcp.port == ${p}`)].join(' || ');
  const gatewayServes = new Set([ports.h225, ...h245Ports.gateway]);
  const peerServes = new Set([ports.gk, ports.callee, ...h245Ports.room]);
  const messages: Decoded[] = [];
  for (const f of c.pdml(ourTraffic, decodeAs)) {
    const num = (n: string) => Number(f.find((x) => x.name === n)?.show);
    const frame = num('frame.number');
    const stream = num('tcp.stream');
    const src = num('tcp.srcport') || num('udp.srcport');
    const dst = num('tcp.dstport') || num('udp.dstport');
    const sent = gatewayServes.has(src) || peerServes.has(dst);
    for (const x of f) {
      if (x.name === 'h225.RasMessage') messages.push({ frame, stream, sent, protocol: 'ras', type: nameIn(x.showname) });
      else if (x.name === 'q931.message_type') messages.push({ frame, stream, sent, protocol: 'q931', type: nameIn(x.showname) });
      else if (x.name === 'h225.h323_message_body') messages.push({ frame, stream, sent, protocol: 'h225', type: nameIn(x.showname) });
      else if (H245_KINDS.includes(x.name)) messages.push({ frame, stream, sent, protocol: 'h245', type: nameIn(x.showname) });
      else if (x.name === 'h245.type' && /videoFastUpdatePicture/.test(x.showname)) messages.push({ frame, stream, sent, protocol: 'h245', type: 'videoFastUpdatePicture' });
    }
  }
  return { decodeAs, ourTraffic, messages, h245Ports: { gateway: [...h245Ports.gateway], room: [...h245Ports.room] }, h225StreamOf };
}

describe('one tshark capture of the gateway\'s H.323 calls: RAS, Q.931, H.225.0, H.245', () => {
  let read: ReturnType<typeof readCapture>;
  const types = (protocol: Protocol, sent: boolean) => [...new Set(read.messages.filter((m) => m.protocol === protocol && m.sent === sent).map((m) => m.type))].sort();

  beforeAll(() => {
    read = readCapture();
    const count = (p: Protocol) => read.messages.filter((m) => m.protocol === p).length;
    console.log(`h323 capture: decoded RAS ${count('ras')}, Q.931 ${count('q931')}, H.225.0 ${count('h225')}, H.245 ${count('h245')} messages (H.245 ports: gateway ${read.h245Ports.gateway.join(',') || '-'}, rooms ${read.h245Ports.room.join(',') || '-'})`);
    for (const p of ['ras', 'q931', 'h225', 'h245'] as const) console.log(`h323 capture: ${p} sent [${types(p, true).join(' ')}] received [${types(p, false).join(' ')}]`);
  });

  it('every call carried DTMF both ways and videoFastUpdatePicture both ways (its video in the meeting on every path)', () => {
    expect(seen.map((s) => s.mode)).toEqual(MODES);
    for (const s of seen) expect(s, s.mode).toMatchObject({ gatewayDigits: '5', keyframesFromRoom: 1 });
    for (const s of seen) expect(s.userInput, s.mode).toBeGreaterThan(0);
    for (const s of seen) expect(s.fastUpdates, s.mode).toBeGreaterThan(0);
  });

  it('both H.245 listeners were used: the rooms\' (separate) and the gateway\'s own (gatewayListens)', () => {
    expect(read.h245Ports.room.length).toBeGreaterThanOrEqual(1);
    expect(read.h245Ports.gateway.length).toBeGreaterThanOrEqual(1);
  });

  it('every TCP segment with payload on the H.225.0 and H.245 ports is decoded as Q.931 or H.245, every RAS datagram as RAS', () => {
    // (a loopback retransmission under load repeats bytes tshark already decoded: not dissected again)
    const undecoded = capture!.fields(`(${read.ourTraffic}) && ((tcp.len > 0 && !q931 && !h245 && !tcp.reassembled_in && !tcp.analysis.retransmission) || (udp && !h225.RasMessage))`, ['frame.number', 'frame.protocols'], read.decodeAs);
    expect(undecoded).toEqual([]);
  });

  it('separate H.245 channels end by H.323 8.5 phase E: endSessionCommand both ways, then the ReleaseComplete', () => {
    for (const port of [...read.h245Ports.room, ...read.h245Ports.gateway]) {
      const h245Stream = Number(capture!.fields(`tcp.port == ${port}`, ['tcp.stream'])[0]![0]);
      const h225Stream = read.h225StreamOf.get(port)!;
      const ends = read.messages.filter((m) => m.stream === h245Stream && m.type === 'endSessionCommand');
      const release = read.messages.find((m) => m.stream === h225Stream && m.type === 'RELEASE COMPLETE');
      expect(ends.map((m) => m.sent).sort(), `H.245 port ${port}`).toEqual([false, true]);
      expect(Math.max(...ends.map((m) => m.frame)), `H.245 port ${port}`).toBeLessThan(release!.frame);
    }
  });

  it('no TCP reset on any H.225.0 or H.245 connection: H.245 phase E (endSessionCommand both ways) before the channel closes (H.323 8.5)', () => {
    expect(capture!.fields(`(${read.ourTraffic}) && tcp.flags.reset == 1`, ['frame.number', 'tcp.srcport', 'tcp.dstport'])).toEqual([]);
  });

  it('RAS: the gateway sent GRQ, RRQ, ARQ, DRQ, URQ; the gatekeeper\'s GCF, RCF, ACF, DCF, UCF decoded', () => {
    expect(types('ras', true)).toEqual(['admissionRequest', 'disengageRequest', 'gatekeeperRequest', 'registrationRequest', 'unregistrationRequest']);
    expect(types('ras', false)).toEqual(['admissionConfirm', 'disengageConfirm', 'gatekeeperConfirm', 'registrationConfirm', 'unregistrationConfirm']);
  });

  it('Q.931 / H.225.0: the gateway sent Setup, CallProceeding, Connect, Facility, ReleaseComplete', () => {
    expect(types('q931', true)).toEqual(expect.arrayContaining(['SETUP', 'CALL PROCEEDING', 'CONNECT', 'FACILITY', 'RELEASE COMPLETE']));
    // H.323 8.2.1: a Facility that only carries tunnelled H.245 has the h323-message-body `empty`
    expect(types('h225', true)).toEqual(expect.arrayContaining(['setup', 'callProceeding', 'connect', 'empty', 'releaseComplete']));
    // and the rooms' (the same H.225.0 layer, the other side of the call)
    expect(types('q931', false)).toEqual(expect.arrayContaining(['SETUP', 'CONNECT', 'FACILITY', 'RELEASE COMPLETE']));
  });

  it('H.245: the gateway sent TCS, TCSAck, MSD, MSDAck, OLC, OLCAck, CLC, endSessionCommand, userInputIndication, videoFastUpdatePicture', () => {
    expect(types('h245', true)).toEqual(expect.arrayContaining([
      'terminalCapabilitySet', 'terminalCapabilitySetAck', 'masterSlaveDetermination', 'masterSlaveDeterminationAck',
      'openLogicalChannel', 'openLogicalChannelAck', 'closeLogicalChannel', 'endSessionCommand', 'userInput', 'videoFastUpdatePicture',
    ]));
    expect(types('h245', false)).toEqual(expect.arrayContaining([
      'terminalCapabilitySet', 'terminalCapabilitySetAck', 'openLogicalChannel', 'openLogicalChannelAck', 'closeLogicalChannelAck', 'endSessionCommand', 'userInput', 'videoFastUpdatePicture',
    ]));
  });

  it('H.323 8.5: where the gateway cleared a call with channels it opened through H.245, CloseLogicalChannel preceded its endSessionCommand', () => {
    const clc = read.messages.filter((m) => m.sent && m.type === 'closeLogicalChannel');
    expect(clc.length).toBeGreaterThanOrEqual(1);
    for (const c of clc) {
      const end = read.messages.find((m) => m.sent && m.stream === c.stream && m.type === 'endSessionCommand' && m.frame >= c.frame);
      expect(end, `CLC in frame ${c.frame}`).toBeDefined();
    }
  });

  it('H.323 8.5 on the separate H.245 channels: the endpoint receiving endSessionCommand first closes its channels, then answers (room hung up: the gateway; gateway hung up: the room)', () => {
    const phaseE = (port: number) => {
      const stream = Number(capture!.fields(`tcp.port == ${port}`, ['tcp.stream'])[0]![0]);
      return read.messages
        .filter((m) => m.stream === stream && m.protocol === 'h245' && (m.type === 'endSessionCommand' || m.type === 'closeLogicalChannel'))
        .map((m) => `${m.sent ? 'gateway' : 'room'} ${m.type}`);
    };
    // 'separate' (the room's listener) was hung up by the room, 'gatewayListens' (the gateway's) by the gateway
    expect(read.h245Ports.room.map(phaseE)).toEqual([['room endSessionCommand', 'gateway closeLogicalChannel', 'gateway closeLogicalChannel', 'gateway endSessionCommand']]);
    expect(read.h245Ports.gateway.map(phaseE)).toEqual([[
      'gateway closeLogicalChannel', 'gateway closeLogicalChannel', 'gateway endSessionCommand',
      'room closeLogicalChannel', 'room closeLogicalChannel', 'room endSessionCommand',
    ]]);
  });

  it('no expert info at all in any frame of the calls (TCP sequence analysis aside): no note, warning or error from Q.931, H.225.0, RAS or H.245', () => {
    const all = capture!.experts(read.ourTraffic, read.decodeAs);
    expect(all.some((x) => /Connection establish request \(SYN\)/.test(x.message))).toBe(true); // the expert column is read at all
    expect(protocolExperts(all)).toEqual([]);
  });
});

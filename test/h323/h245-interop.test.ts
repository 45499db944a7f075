// Independent readers of every PDU the H.245 session sends: Erlang's asn1 codec (compiled from
// the ITU module) decodes each to the value the session meant, and tshark's H.245 dissector reads
// the TPKT stream on a TCP port as the intended messages with no expert warning or error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  choice, encodeH245, h245Kind, h323Codec, terminalCapabilitySet, type AsnType, type ChoiceValue, type H245Message,
} from '../../h323/asn1/index.ts';
import { H245Session, createMemoryChannelPair } from '../../h323/h245/index.ts';
import { encodeTpkt } from '../../h323/q931/index.ts';
import { ManualClock } from '../../sip/clock.ts';
import { ErlangAsn1Peer } from './erlang/erlang-peer.ts';
import { parseTerm } from './erlang/term.ts';
import { ErlangValueMapping } from './erlang/value-mapping.ts';
import { AUDIO_ONLY_CAPS, GATEWAY_CAPS, next, settle, tcpPair } from './h245-helpers.ts';

const codec = h323Codec();
/** Wireshark's expert severity of a note (PI_NOTE); warnings are 0x600000, errors 0x800000. */
const PI_NOTE = 0x400000;
type Sent = { message: H245Message; bytes: Uint8Array };

function record(s: H245Session, into: Sent[]): void {
  s.observer.on('pdu', (p) => {
    if (p.direction === 'out') into.push({ message: p.message!, bytes: p.bytes });
  });
}

/** A whole call's worth of H.245 over a real TCP channel, then the error paths. */
async function collectSentPdus(): Promise<Sent[]> {
  const sent: Sent[] = [];
  // 1. the normal call over TCP on loopback
  const pair = await tcpPair();
  try {
    const sa = new H245Session({ channel: pair.a, capabilities: GATEWAY_CAPS, callId: 'A' });
    const sb = new H245Session({ channel: pair.b, capabilities: GATEWAY_CAPS, callId: 'B', terminalType: 50 });
    record(sa, sent);
    record(sb, sent);
    sb.on('incomingChannel', (r) => (r.number === 2 ? r.reject('dataTypeNotAvailable')
      : r.accept({ mediaChannel: { ip: '127.0.0.1', port: 40000 }, mediaControlChannel: { ip: '127.0.0.1', port: 40001 } })));
    sa.on('closeRequested', (r) => (r.number === 3 ? r.reject() : r.accept()));
    const ready = Promise.all([next(sa, 'capabilitiesAcked'), next(sb, 'capabilitiesAcked'), next(sa, 'masterSlave'), next(sb, 'masterSlave')]);
    sa.start();
    sb.start();
    await ready;
    const rtcp = { ip: '127.0.0.1', port: 5001 };
    await sa.openChannel({ number: 1, capability: { codec: 'g711Ulaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: rtcp });
    await sa.openChannel({ number: 2, capability: { codec: 'g722-64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: rtcp }).catch(() => {});
    await sa.openChannel({ number: 3, capability: { codec: 'h264', maxBitRate: 10240, profile: 0x40, level: 71 }, sessionID: 2, payloadType: 109, mediaControlChannel: rtcp });
    await sa.openChannel({ number: 4, capability: { codec: 'h263', cifMPI: 1, maxBitRate: 3840 }, sessionID: 2, mediaControlChannel: rtcp });
    await sb.requestChannelClose(3);
    await sb.requestChannelClose(4);
    await sa.closeChannel(1);
    await sa.roundTripDelay();
    sb.sendVideoFastUpdate(3);
    sb.sendFlowControl(3, 5120);
    sa.sendUserInput('digits');
    sa.sendUserInputSignal('5', 100);
    await sb.roundTripDelay(); // everything before it has arrived
    const ended = next(sb, 'ended');
    await sa.endSession();
    await ended;
  } finally {
    pair.dispose();
  }
  // 2. the error paths, against a peer driven by the test
  const clock = new ManualClock();
  const [mine, peer] = createMemoryChannelPair();
  const s = new H245Session({ channel: mine, capabilities: GATEWAY_CAPS, clock, callId: 'E' });
  record(s, sent);
  const inject = (m: H245Message | Uint8Array) => peer.send([m instanceof Uint8Array ? m : encodeH245(m)]);
  inject({ type: 'request', value: { type: 'masterSlaveDetermination', value: { terminalType: 60, statusDeterminationNumber: s['msd'].statusDeterminationNumber } } });
  inject(terminalCapabilitySet({ sequenceNumber: 1, capabilities: AUDIO_ONLY_CAPS, simultaneous: [[0, 9]] }));
  inject(Uint8Array.from([0xff, 0xee]));
  inject({ type: 'request', value: { type: 'maintenanceLoopRequest', value: { type: choice('systemLoop', null) } } });
  inject(codec.encode('MultimediaSystemControlMessage', { type: 'request', value: { type: '#unknown-extension', index: 40, value: Uint8Array.from([1, 2]) } }));
  inject({ type: 'request', value: { type: 'requestChannelClose', value: { forwardLogicalChannelNumber: 77, reason: choice('normal', null) } } });
  await settle();
  s.start();
  void s.openChannel({ number: 5, capability: { codec: 'g711Alaw64k', framesPerPacket: 20 }, sessionID: 1, mediaControlChannel: { ip: '127.0.0.1', port: 5001 } }).catch(() => {});
  void s.requestChannelClose(8).catch(() => {});
  clock.advance(30_000); // T101, T103, T106, T108: releases, CLC(lcse), endSessionCommand
  clock.advance(5_000);
  await settle();
  return sent;
}

let sent: Sent[] = [];
let peer: ErlangAsn1Peer;
const dir = mkdtempSync(join(tmpdir(), 'roomgate-h245-'));

beforeAll(async () => {
  peer = ErlangAsn1Peer.start();
  sent = await collectSentPdus();
}, 600_000);

afterAll(() => {
  peer?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A name per message, with the variant that matters (cause, source, user input kind...). */
function label(m: H245Message): string {
  const v = m.value.value as Record<string, unknown> | ChoiceValue;
  const parts = [h245Kind(m)];
  for (const k of ['cause', 'source', 'decision', 'type', 'restriction']) {
    const c = (v as Record<string, unknown>)?.[k] as ChoiceValue | undefined;
    if (c && typeof c === 'object' && 'type' in c) parts.push(`${k}=${c.type}`);
  }
  if (m.value.type === 'userInput' || m.value.type === 'functionNotUnderstood') parts.push((v as ChoiceValue).type);
  return parts.join(' ');
}

describe('every PDU the H.245 session sends, read by independent peers', () => {
  it('covers the procedures and their error paths', () => {
    const kinds = new Set(sent.map((s) => h245Kind(s.message)));
    for (const k of [
      'request.masterSlaveDetermination', 'response.masterSlaveDeterminationAck', 'response.masterSlaveDeterminationReject',
      'indication.masterSlaveDeterminationRelease', 'request.terminalCapabilitySet', 'response.terminalCapabilitySetAck',
      'response.terminalCapabilitySetReject', 'indication.terminalCapabilitySetRelease', 'request.openLogicalChannel',
      'response.openLogicalChannelAck', 'response.openLogicalChannelReject', 'request.closeLogicalChannel',
      'response.closeLogicalChannelAck', 'request.requestChannelClose', 'response.requestChannelCloseAck',
      'response.requestChannelCloseReject', 'indication.requestChannelCloseRelease', 'request.roundTripDelayRequest',
      'response.roundTripDelayResponse', 'command.endSessionCommand', 'command.miscellaneousCommand', 'command.flowControlCommand',
      'indication.userInput', 'indication.functionNotSupported', 'indication.functionNotUnderstood',
    ]) expect(kinds, k).toContain(k);
    expect(sent.length).toBeGreaterThan(40);
  });

  it('Erlang asn1 decodes each to the value the session meant', async () => {
    const t = codec.typeRef('MultimediaSystemControlMessage') as Extract<AsnType, { kind: 'ref' }>;
    const mapping = new ErlangValueMapping(codec.schema);
    const checked = new Set<string>();
    for (const s of sent) {
      const term = await peer.decode(t.ref, s.bytes);
      if (s.message.value.type === 'functionNotUnderstood') {
        // the returned request is an alternative newer than the module: Erlang keeps it as asn1_ExtAlt
        expect(term).toMatch(/^\{indication,\{functionNotUnderstood,\{request,\{asn1_ExtAlt,<<.*>>\}\}\}\}$/);
      } else {
        expect({ label: label(s.message), value: mapping.fromErlang(t, parseTerm(term)) }).toEqual({ label: label(s.message), value: s.message });
      }
      checked.add(label(s.message));
    }
    console.log(`Erlang decoded ${sent.length} PDUs, ${checked.size} kinds: ${[...checked].sort().join('; ')}`);
  });

  it('tshark reads the TPKT stream (-d tcp.port==P,h245) as the same messages, with no expert message', () => {
    const port = 41245;
    const hexdump = (b: Uint8Array) => {
      let out = '';
      for (let i = 0; i < b.length; i += 16) {
        out += `${i.toString(16).padStart(6, '0')} ${[...b.subarray(i, i + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}\n`;
      }
      return out;
    };
    writeFileSync(join(dir, 'h245.txt'), sent.map((s) => hexdump(encodeTpkt(s.bytes))).join('\n'));
    execFileSync('text2pcap', ['-q', '-4', '127.0.0.1,127.0.0.2', '-T', `40000,${port}`, join(dir, 'h245.txt'), join(dir, 'h245.pcap')], { stdio: 'pipe' });
    const fields = ['h245.pdu_type', 'h245.request', 'h245.response', 'h245.command', 'h245.indication', '_ws.expert.message', '_ws.expert.severity'];
    const out = execFileSync('tshark', ['-r', join(dir, 'h245.pcap'), '-d', `tcp.port==${port},h245`, '-T', 'fields', '-E', 'occurrence=f',
      '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const rows = out.trimEnd().split('\n').map((l) => l.split('|'));
    expect(rows).toHaveLength(sent.length);
    const altIndex = (typeName: string, alt: string) => {
      let ty = codec.typeRef(typeName) as AsnType;
      while (ty.kind === 'ref') ty = codec.schema.types[ty.ref]!;
      if (ty.kind !== 'choice') throw new Error('not a choice');
      return String([...ty.root, ...(ty.ext ?? [])].findIndex((a) => a.name === alt));
    };
    const group = { request: 'RequestMessage', response: 'ResponseMessage', command: 'CommandMessage', indication: 'IndicationMessage' } as const;
    const kinds = ['request', 'response', 'command', 'indication'] as const;
    const got = rows.map((row, i) => {
      const m = sent[i]!.message;
      const g = m.type as keyof typeof group;
      return { label: label(m), pdu: row[0], sub: row[1 + kinds.indexOf(g)], expert: row[5] ?? '', severity: row[6] ?? '' };
    });
    expect(got).toEqual(sent.map(({ message: m }) => {
      const g = m.type as keyof typeof group;
      // The only expert item allowed: a note (not a warning or error) on the peer's unknown request
      // that FunctionNotUnderstood returns as it came.
      const fnu = m.value.type === 'functionNotUnderstood';
      return {
        label: label(m), pdu: altIndex('MultimediaSystemControlMessage', g), sub: altIndex(group[g], m.value.type),
        expert: fnu ? 'Choice no. 40 in extension' : '', severity: fnu ? String(PI_NOTE) : '',
      };
    }));
  });
});

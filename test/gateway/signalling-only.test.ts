/**
 * Dial plan target `{ answer: signalling-only }`: the Gateway admits (trunk by source), negotiates and answers the
 * call with an inactive SDP answer, keeps the dialog until BYE, and never opens an RTP port nor
 * reaches the meeting service (its URL here points at a port nobody listens on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { SipStack } from '../../sip/index.ts';
import { errorOf } from '../config/config-error.ts';
import { capturingLogger, type LogEntry } from '../e2e/harness.ts';
import { freeSipPort } from '../helpers/processes.ts';
import { captureLogger, SDP_A } from '../sip/helpers.ts';
import { freePort, killAllSipp, runSipp } from '../sip/sipp.ts';

const T1_MS = 100;
let gateway: Gateway;
let caller: SipStack;
const logs: LogEntry[] = [];

function config(sipPort: number) {
  return parseConfig([
    `sip: { bind: 127.0.0.1, port: ${sipPort}, advertisedAddress: 127.0.0.1, transports: [udp], timers: { t1Ms: ${T1_MS}, t2Ms: 4000, t4Ms: 5000 } }`,
    'media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1, portRange: { min: 47000, max: 47099 } }',
    'meeting: { url: "ws://127.0.0.1:1/ws", joinTimeoutMs: 500 }',
    'admin: { port: 0 }',
    'trunks: [{ name: rooms, inbound: { sources: [127.0.0.1/32] }, maxConcurrentCalls: 50 }]',
    'dialPlan:',
    "  - { match: '^probe$', target: { answer: signalling-only } }",
    "  - { match: '^(.+)$', target: { room: '$1' } }",
  ].join('\n'));
}

beforeAll(async () => {
  gateway = await Gateway.start(config(await freeSipPort(0)), capturingLogger(logs));
  caller = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, transports: ['udp'], logger: captureLogger(),
    timers: { t1Ms: T1_MS, t2Ms: 4000, t4Ms: 5000 } });
});

afterAll(async () => {
  killAllSipp();
  await caller?.close();
  await gateway?.close();
});

describe('dial plan target { answer: signalling-only } in config', () => {
  it('parses to its own dial plan target', () => {
    expect(config(5060).dialPlan[0]).toEqual({ match: '^probe$', target: { answer: 'signalling-only' } });
  });

  it('refuses another answer mode with a message naming the allowed targets', () => {
    const err = errorOf("dialPlan: [{ match: '^probe$', target: { answer: media } }]");
    expect(err.key).toBe('dialPlan.0.target');
    expect(err.message).toMatch(/a target is \{ room: NAME \}, \{ trunk: NAME \| \[NAME, \.\.\.\] \} or \{ answer: signalling-only \}/);
  });
});

describe('a call to the signalling-only number', () => {
  it('is answered with an inactive SDP answer on port 9, holds a dialog and no media port, and ends on BYE', async () => {
    const out = caller.invite({ requestUri: `sip:probe@127.0.0.1:${gateway.sipPort}`, fromUri: 'sip:tester@127.0.0.1', sdp: SDP_A });
    const dialog = await out.result;
    expect(dialog.answerSdp).toMatch(/^m=audio 9 RTP\/AVP 0\r$/m);
    expect(dialog.answerSdp).toMatch(/^a=rtpmap:0 PCMU\/8000\r$/m);
    expect(dialog.answerSdp).toMatch(/^a=inactive\r$/m);
    expect(dialog.answerSdp).not.toMatch(/^a=(sendrecv|sendonly|recvonly)/m);
    // The gateway's side of the dialog exists once it has the ACK: the call is active.
    await expect.poll(() => gateway.activeCalls().map((c) => c.state)).toEqual(['active']);
    expect(gateway.activeCalls()[0]).toMatchObject({ roomId: '(signalling-only)', state: 'active', trunk: 'rooms' });
    expect(gateway.trunkSummaries()[0]).toMatchObject({ name: 'rooms', activeCalls: 1 });
    expect(gateway.stats()).toMatchObject({ activeCalls: 1, mediaPortsInUse: 0 });
    expect(gateway.stats().sip.dialogs).toBe(1);
    await dialog.bye();
    await expect.poll(() => gateway.stats()).toMatchObject({ activeCalls: 0, mediaPortsInUse: 0, sip: { dialogs: 0 } });
    expect(logs.some((l) => l.message === 'call ended' && l.by === 'room')).toBe(true);
  });

  it('SIPp (built-in UAC, INVITE/ACK/BYE): 200 calls complete, 0 failed, no media port, no meeting, dialogs back to 0', async () => {
    const before = gateway.stats().callsTotal;
    const logsBefore = logs.length;
    const r = await runSipp(['-sn', 'uac', '-s', 'probe', `127.0.0.1:${gateway.sipPort}`, '-p', String(await freePort()),
      '-m', '200', '-r', '100', '-l', '20']).done;
    const tail = r.output.slice(-3000);
    expect(r.code, tail).toBe(0);
    expect(r.successful, tail).toBe(200);
    expect(r.failed, tail).toBe(0);
    expect(gateway.stats().callsTotal - before).toBe(200);
    const mine = logs.slice(logsBefore);
    expect(mine.filter((l) => l.message === 'incoming call' && l.signallingOnly === true)).toHaveLength(200);
    // Answered, unless a late ACK trailed the BYE on a loaded machine (SIPp still counts the call).
    expect(mine.filter((l) => l.message === 'call answered, signalling only').length).toBeGreaterThan(150);
    // Never a media socket or a meeting join attempt for these calls.
    expect(logs.slice(logsBefore).filter((l) => /meeting|media/i.test(l.message) && l.level !== 'debug')).toEqual([]);
    await expect.poll(() => ({ ...gateway.stats(), sip: gateway.stats().sip.dialogs }), { timeout: 10_000 })
      .toMatchObject({ activeCalls: 0, mediaPortsInUse: 0, sip: 0 });
    expect(logs.slice(logsBefore).filter((l) => l.message === 'call ended')).toHaveLength(200);
    expect(gateway.trunkSummaries()[0]).toMatchObject({ name: 'rooms', activeCalls: 0 });
  }, 60_000);
});

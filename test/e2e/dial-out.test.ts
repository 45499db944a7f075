// Issue #3 acceptance (dial-out): the admin API and `roomgate dial` bring a room (baresip,
// auto-answering) into meeting `demo` through a configured trunk; a Chromium participant hears the
// room's 440 Hz. A first trunk answering 503 (SIPp) fails over to the second. Inbound: a source
// outside the allow-lists gets 403; a trunk at its call limit gets 503 with Retry-After.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { startAdminApi } from '../../gateway/admin-api.ts';
import type { DialOutcome } from '../../gateway/outbound-call.ts';
import { adminCli } from '../helpers/admin-cli.ts';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { freeSipPort } from '../helpers/processes.ts';
import { killAllSipp, runSipp } from '../sip/sipp.ts';
import { capturingLogger, startHarness, type Harness } from './harness.ts';
import { audioOffer, RawSipClient } from './raw-sip.ts';

const ROOM = 'demo';
const TOKEN = randomBytes(24).toString('hex');
let h: Harness;
let room: Baresip;
let alice: Participant;
let admin: { port: number; close(): Promise<void> };
let busyPort: number;
let earlyPort: number;

function trunksYaml(roomPort: number): string {
  return [
    'trunks:',
    `  - { name: busy, outbound: { host: 127.0.0.1, port: ${busyPort}, codecs: { audio: [PCMU], video: [] } }, permittedNumbers: ['.*'] }`,
    `  - { name: early, outbound: { host: 127.0.0.1, port: ${earlyPort}, codecs: { audio: [PCMU], video: [] } }, permittedNumbers: ['.*'] }`,
    '  - name: rooms',
    '    inbound: { sources: [127.0.0.1/32] }',
    `    outbound: { host: 127.0.0.1, port: ${roomPort}, codecs: { audio: [PCMU], video: [] } }`,
    '    maxConcurrentCalls: 1',
    "    permittedNumbers: ['^room']",
    'dialPlan:',
    "  - { match: '^(room.*)$', target: { trunk: [busy, rooms] } }",
    "  - { match: '^([A-Za-z0-9_.~-]+)$', target: { room: '$1' } }",
  ].join('\n');
}

async function api(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${admin.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** True once something listens on UDP 127.0.0.1:port (Linux /proc/net/udp). */
function udpBound(port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8').includes(hex);
}

async function nothingLeftBehind(): Promise<void> {
  await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  await expect.poll(() => h.gateway.stats().sip.dialogs, { timeout: 5000 }).toBe(0);
  expect(h.gateway.trunkSummaries().every((t) => t.activeCalls === 0)).toBe(true);
}

beforeAll(async () => {
  room = await startBaresip({ answerMode: 'auto', tone: 440, codecs: ['PCMU/8000/1'], user: 'roomout', timeoutMs: 20_000 });
  busyPort = await freeSipPort(0);
  earlyPort = await freeSipPort(0);
  h = await startHarness({ mediaPorts: { min: 43000, max: 43999 }, yaml: trunksYaml(room.sipPort) });
  admin = await startAdminApi(h.gateway, { bind: '127.0.0.1', port: 0, token: TOKEN, logger: capturingLogger(h.logs) });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880 });
});

afterAll(async () => {
  killAllSipp();
  await room?.stop().catch(() => undefined);
  await alice?.close();
  await admin?.close();
  await h?.close();
});

describe('dial-out through the admin API', () => {
  let callId: string;

  it('refuses requests without the bearer token (401) and numbers no trunk permits (403)', async () => {
    expect((await api('GET', '/api/calls', undefined, 'wrong-token')).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${admin.port}/api/health`)).status).toBe(200);
    const refused = await api('POST', '/api/calls', { meeting: ROOM, to: 'sip:lobby@10.1.1.5', trunk: 'rooms' });
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toMatch(/not a permitted dial-out number/);
    expect((await api('POST', '/api/calls', { meeting: ROOM, to: room.sipUri, trunk: 'nope' })).status).toBe(404);
  });

  it('POST /api/calls brings the room into the meeting and the browser hears its 440 Hz', async () => {
    const res = await api('POST', '/api/calls', { meeting: ROOM, to: room.sipUri, trunk: 'rooms' });
    const outcome = res.body as DialOutcome;
    expect(res.status, JSON.stringify(outcome)).toBe(200);
    expect(outcome).toMatchObject({ status: 'answered', trunk: 'rooms', sipStatus: 200 });
    callId = outcome.callId;
    await alice.waitForPeer('roomout');
    const hz = await alice.dominantFrequencyFrom('roomout');
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
  });

  it('lists the call and the trunk slot it holds', async () => {
    const calls = (await api('GET', '/api/calls')).body as { callId: string; direction?: string; trunk?: string; state: string }[];
    expect(calls).toEqual([expect.objectContaining({ callId, direction: 'outbound', trunk: 'rooms', state: 'active' })]);
    const trunks = (await api('GET', '/api/trunks')).body as { name: string; activeCalls: number }[];
    expect(trunks.find((t) => t.name === 'rooms')?.activeCalls).toBe(1);
  });

  it('an inbound INVITE through a trunk at its call limit gets 503 with Retry-After', async () => {
    const probe = await RawSipClient.open();
    try {
      const inv = probe.invite({ ruri: h.dialUri(ROOM), sdp: audioOffer(4000, '0') });
      await probe.send(inv.text, h.sipPort);
      const res = await probe.finalResponse(inv.callId);
      expect(res.status).toBe(503);
      expect(res.header('retry-after')).toBe('30');
      await probe.send(probe.ackFor(inv.text, res), h.sipPort);
    } finally {
      probe.close();
    }
  });

  it('an INVITE from a source outside every allow-list gets 403', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.2', resolve));
    try {
      const port = socket.address().port;
      const callId = randomBytes(8).toString('hex');
      const sdp = audioOffer(4000, '0');
      const text = [
        `INVITE ${h.dialUri(ROOM)} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.2:${port};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
        'Max-Forwards: 70',
        `From: <sip:intruder@127.0.0.2:${port}>;tag=${randomBytes(4).toString('hex')}`,
        `To: <${h.dialUri(ROOM)}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:intruder@127.0.0.2:${port}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n');
      const final = new Promise<string>((resolve) =>
        socket.on('message', (msg) => {
          const line = msg.toString('utf8').split('\r\n')[0]!;
          if (!/^SIP\/2\.0 1\d\d/.test(line)) resolve(line);
        }),
      );
      socket.send(text, h.sipPort, '127.0.0.1');
      expect(await final).toBe('SIP/2.0 403 Forbidden');
      expect(h.logs.some((l) => l.message === 'request from a source outside the allow-lists refused' && l.callId === callId)).toBe(true);
    } finally {
      socket.close();
    }
  });

  it('a config reload leaves the live call untouched and applies to new calls', async () => {
    const next = parseConfig(
      [
        `sip: { bind: 127.0.0.1, port: ${h.sipPort}, advertisedAddress: 127.0.0.1 }`,
        `media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1, portRange: { min: 43000, max: 43999 } }`,
        `meeting: { url: "${h.meeting.wsUrl}" }`,
        'admin: { port: 0 }',
        trunksYaml(room.sipPort).replace("permittedNumbers: ['^room']", () => "permittedNumbers: ['^roomout$']"),
      ].join('\n'),
    );
    h.gateway.applyConfig(next);
    expect(h.gateway.activeCalls()).toEqual([expect.objectContaining({ callId, state: 'active' })]);
    expect(h.gateway.trunkSummaries().find((t) => t.name === 'rooms')?.activeCalls).toBe(1);
    const refused = await api('POST', '/api/calls', { meeting: ROOM, to: 'sip:room9@127.0.0.1', trunk: 'rooms' });
    expect(refused.status).toBe(403);
  });

  it('DELETE /api/calls/:callId hangs up: BYE to the room, participant gone, nothing left', async () => {
    const res = await fetch(`http://127.0.0.1:${admin.port}/api/calls/${callId}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(204);
    await room.waitFor('CALL_CLOSED');
    await alice.waitForPeerGone('roomout');
    await nothingLeftBehind();
    expect((await api('DELETE', `/api/calls/${callId}`)).status).toBe(404);
  });
});

describe('no open relay', () => {
  it('an inbound INVITE for a number the dial plan routes to a trunk is refused with 404, not relayed', async () => {
    const probe = await RawSipClient.open();
    try {
      const inv = probe.invite({ ruri: h.dialUri('room42'), sdp: audioOffer(4000, '0') });
      await probe.send(inv.text, h.sipPort);
      const res = await probe.finalResponse(inv.callId);
      expect(res.status).toBe(404);
      await probe.send(probe.ackFor(inv.text, res), h.sipPort);
      expect(h.gateway.stats().activeCalls).toBe(0);
    } finally {
      probe.close();
    }
  });
});

describe('roomgate dial (CLI) with failover', () => {
  const { bin: run, inProcess: runInProcess } = adminCli(() => admin.port, TOKEN);

  it('the first trunk answers 503, the call succeeds through the second, and the CLI says so', async () => {
    const scenario = fileURLToPath(new URL('./scenarios/uas-503.xml', import.meta.url));
    const sipp = runSipp(['-sf', scenario, '-p', String(busyPort), '-m', '1']);
    await expect.poll(() => udpBound(busyPort), { timeout: 10_000, interval: 50 }).toBe(true);
    const dialled = await run(['dial', '--meeting', ROOM, '--to', room.sipUri]);
    expect(dialled.stdout).toMatch(/attempt via busy: 503 Service Unavailable/);
    expect(dialled.stdout).toMatch(/answered via trunk rooms; call /);
    expect(dialled.code, dialled.stdout).toBe(0);
    const sippResult = await sipp.done;
    expect(sippResult.successful, sippResult.output).toBe(1);
    await alice.waitForPeer('roomout');

    // The other commands run in-process (same code as bin/roomgate, without a tsx start each).
    const callId = /call (\S+)/.exec(dialled.stdout)![1]!;
    const listed = await runInProcess(['calls']);
    expect(listed.stdout).toContain(callId);
    const hungUp = await runInProcess(['hangup', callId]);
    expect(hungUp.code, hungUp.stdout).toBe(0);
    await room.waitFor('CALL_CLOSED');
    await nothingLeftBehind();
  });

  it('exits non-zero and reports the reason when no trunk can place the call', async () => {
    const failed = await runInProcess(['dial', '--meeting', ROOM, '--to', 'sip:lobby@127.0.0.1']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failed: 404 no dial plan rule routes "lobby"/);
  });
});

describe('early media', () => {
  it('a 183 with SDP sets up media before the 200, and the call is answered through that trunk', async () => {
    const scenario = fileURLToPath(new URL('./scenarios/uas-early-media.xml', import.meta.url));
    const sipp = runSipp(['-sf', scenario, '-p', String(earlyPort), '-m', '1', '-mp', String(await freeSipPort(0))]);
    await expect.poll(() => udpBound(earlyPort), { timeout: 10_000, interval: 50 }).toBe(true);
    const res = await api('POST', '/api/calls', { meeting: ROOM, to: 'sip:kiosk@127.0.0.1', trunk: 'early' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const outcome = res.body as DialOutcome;
    expect(outcome).toMatchObject({ status: 'answered', trunk: 'early' });
    const lines = h.logs.filter((l) => l.callId === outcome.callId).map((l) => l.message);
    const early = h.logs.findIndex((l) => l.callId === outcome.callId && l.message === 'dial-out: provisional response' && l.earlyMedia === true);
    const answered = h.logs.findIndex((l) => l.callId === outcome.callId && l.message === 'dial-out: call answered');
    expect(early, lines.join(', ')).toBeGreaterThanOrEqual(0);
    expect(early).toBeLessThan(answered);
    expect((await api('DELETE', `/api/calls/${outcome.callId}`)).status).toBe(204);
    const sippResult = await sipp.done;
    expect(sippResult.successful, sippResult.output).toBe(1);
    await nothingLeftBehind();
  });
});

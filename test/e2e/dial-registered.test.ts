// Issue #3 acceptance 4 (first half): baresip registers with digest auth (MD5) to the gateway's
// registrar, and `roomgate dial --meeting demo --to <user>` brings it into meeting `demo` by name:
// the gateway sends the INVITE straight to the binding's Contact (RFC 3261 16.5, 10), no trunk, and
// a Chromium participant hears the terminal's 440 Hz. A wrong password never registers; a name
// that is not registered fails with a clear outcome; a foreign domain is not relayed to.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { startAdminApi } from '../../gateway/admin-api.ts';
import type { RegistrationSummary } from '../../gateway/registrar-service.ts';
import { adminCli } from '../helpers/admin-cli.ts';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { capturingLogger, startHarness, type Harness } from './harness.ts';

const ROOM = 'demo';
const TOKEN = randomBytes(24).toString('hex');
const MEDIA = { min: 45000, max: 45999 };
let h: Harness;
let room7: Baresip;
let alice: Participant;
let admin: { port: number; close(): Promise<void> };
const started: Baresip[] = [];

function registrarYaml(room7Password: string): string {
  return [
    'registrar:',
    '  enabled: true',
    '  realm: roomgate.test',
    '  domains: [127.0.0.1]',
    `  users: [{ username: room7, password: ${room7Password} }, { username: room8, password: pw-room8 }]`,
    '  algorithms: [MD5]',
    '  minExpiresS: 60',
  ].join('\n');
}

/** A baresip terminal that REGISTERs to the gateway (outbound proxy) with `password`, auto-answering a 440 Hz tone. */
async function terminal(user: string, password: string): Promise<Baresip> {
  const b = await startBaresip({ user, answerMode: 'auto', tone: 440, codecs: ['PCMU/8000/1'], timeoutMs: 15_000,
    extraAccountParams: { auth_pass: password, regint: '60', outbound: `"sip:127.0.0.1:${h.sipPort}"` } });
  started.push(b);
  return b;
}

const { bin: runBin, inProcess: runInProcess } = adminCli(() => admin.port, TOKEN);

async function registrations(): Promise<RegistrationSummary[]> {
  const res = await runInProcess(['registrations']);
  expect(res.code, res.stdout).toBe(0);
  return JSON.parse(res.stdout) as RegistrationSummary[];
}

beforeAll(async () => {
  h = await startHarness({ mediaPorts: MEDIA, yaml: registrarYaml('pw-room7') });
  admin = await startAdminApi(h.gateway, { bind: '127.0.0.1', port: 0, token: TOKEN, logger: capturingLogger(h.logs) });
  [room7, alice] = await Promise.all([
    terminal('room7', 'pw-room7'),
    openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880 }),
  ]);
});

afterAll(async () => {
  for (const b of started) await b.stop().catch(() => undefined);
  await alice?.close();
  await admin?.close();
  await h?.close();
});

describe('baresip registered with digest auth, dialled by name into meeting demo', () => {
  let callId: string;

  it('registers after answering the MD5 challenge; the binding is listed by `roomgate registrations`', async () => {
    // Polled, not an event: baresip may register before its ctrl_tcp connection is up.
    await expect.poll(() => h.gateway.registrations().length, { timeout: 10_000 }).toBe(1);
    const listed = await registrations();
    expect(listed).toEqual([expect.objectContaining({ aor: 'sip:room7@127.0.0.1', user: 'room7' })]);
    expect(listed[0]!.contact).toContain(`127.0.0.1:${room7.sipPort}`);
    expect(listed[0]!.expiresInS).toBeGreaterThan(0);
    expect(listed[0]!.expiresInS).toBeLessThanOrEqual(60);
  });

  it('a terminal with a wrong password never registers', async () => {
    const impostor = await terminal('room8', 'not-the-password');
    // It did answer the challenge: the gateway refused its digest (not a missing one).
    const refusedDigest = () => h.logs.some((l) => l.message === 'sip REGISTER authentication failed'
      && l.port === impostor.sipPort && l.why === 'wrong response digest');
    await expect.poll(refusedDigest, { timeout: 10_000 }).toBe(true);
    expect(impostor.history.some((e) => e.type === 'REGISTER_OK')).toBe(false);
    expect((await registrations()).map((r) => r.user)).toEqual(['room7']);
    await impostor.stop();
  });

  it('`bin/roomgate dial --meeting demo --to room7` INVITEs the registered contact and the browser hears 440 Hz', async () => {
    const dialled = await runBin(['dial', '--meeting', ROOM, '--to', 'room7']);
    expect(dialled.stdout).toMatch(new RegExp(`answered at registered contact sip:[^ ]*127\\.0\\.0\\.1:${room7.sipPort}[^ ]*; call `));
    expect(dialled.code, dialled.stdout).toBe(0);
    callId = /call (\S+)/.exec(dialled.stdout)![1]!;
    await room7.waitFor('CALL_ESTABLISHED');
    // No trunk was involved: the INVITE went to the binding's Contact (RFC 3261 16.5).
    const invite = h.logs.find((l) => l.callId === callId && l.message === 'dial-out: INVITE');
    expect(invite?.requestUri).toContain(`127.0.0.1:${room7.sipPort}`);
    await alice.waitForPeer('room7');
    const hz = await alice.dominantFrequencyFrom('room7');
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
    expect(h.gateway.activeCalls()).toEqual([expect.objectContaining({ callId, direction: 'outbound', state: 'active' })]);
  });

  it('a config reload (new password) keeps the binding', async () => {
    const next = parseConfig(
      [
        `sip: { bind: 127.0.0.1, port: ${h.sipPort}, advertisedAddress: 127.0.0.1 }`,
        `media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1, portRange: { min: ${MEDIA.min}, max: ${MEDIA.max} } }`,
        `meeting: { url: "${h.meeting.wsUrl}" }`,
        'admin: { port: 0 }',
        registrarYaml('rotated-pw'),
      ].join('\n'),
    );
    h.gateway.applyConfig(next);
    expect((await registrations()).map((r) => r.aor)).toEqual(['sip:room7@127.0.0.1']);
    expect(h.gateway.activeCalls()).toEqual([expect.objectContaining({ callId, state: 'active' })]);
  });

  it('names that are not registered fail with a clear outcome; other domains are not relayed to', async () => {
    const known = await runInProcess(['dial', '--meeting', ROOM, '--to', 'room8']);
    expect(known.code).toBe(1);
    expect(known.stdout).toMatch(/failed: 480 "room8" is not registered/);
    const unknown = await runInProcess(['dial', '--meeting', ROOM, '--to', 'sip:ghost@127.0.0.1']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/failed: 404 "ghost" is not registered here/);
    // room7's name at a foreign domain is not ours: only the trunk dial plan could route it (none here).
    const foreign = await runInProcess(['dial', '--meeting', ROOM, '--to', 'sip:room7@192.0.2.7']);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toMatch(/failed: 404 no dial plan rule routes "room7"/);
    expect(h.gateway.activeCalls()).toHaveLength(1);
  });

  it('hangup: BYE to the terminal, participant gone, no call, port or dialog left', async () => {
    const hungUp = await runInProcess(['hangup', callId]);
    expect(hungUp.code, hungUp.stdout).toBe(0);
    await room7.waitFor('CALL_CLOSED');
    await alice.waitForPeerGone('room7');
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h.gateway.stats().sip.dialogs, { timeout: 5000 }).toBe(0);
  });
});

/**
 * Trunks with `outbound.register` (RFC 3261 10.2) against real peers: Debian's Kamailio as the
 * registrar with digest auth (test/sip/registration-kamailio.cfg, every saved REGISTER logged),
 * and SIPp as a registrar that is down (503). The gateway's state is read through the admin API.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { parseConfig } from '../../config/index.ts';
import { startAdminApi } from '../../gateway/admin-api.ts';
import { watchConfigFile } from '../../gateway/config-watcher.ts';
import { Gateway, type TrunkSummary } from '../../gateway/gateway.ts';
import { SipStack } from '../../sip/index.ts';
import { capturingLogger, type LogEntry } from '../e2e/harness.ts';
import { kamailioInstalled, startKamailio, type KamailioPeer } from '../sip/kamailio-peer.ts';
import { captureLogger, SDP_A } from '../sip/helpers.ts';
import { freePort, killAllSipp, runSipp } from '../sip/sipp.ts';

const T1_MS = 50;
const TOKEN = 'trunk-registration-test-token';
const PASSWORD = 'pw-gw';
const down503 = fileURLToPath(new URL('./scenarios/uas-register-503.xml', import.meta.url));

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  killAllSipp();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function kamailio(): Promise<KamailioPeer> {
  const k = await startKamailio({ algorithm: 'MD5', password: PASSWORD, minExpires: 1, logRegister: true });
  cleanups.push(() => k.stop());
  return k;
}

function yaml(register: string, port: number): string {
  return [
    `sip: { bind: 127.0.0.1, port: 0, advertisedAddress: 127.0.0.1, transports: [udp], timers: { t1Ms: ${T1_MS}, t2Ms: 400, t4Ms: 500 } }`,
    'media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1, portRange: { min: 47100, max: 47199 } }',
    'meeting: { url: "ws://127.0.0.1:1/ws" }',
    'admin: { port: 0 }',
    "dialPlan: [{ match: '^probe$', target: { answer: signalling-only } }]",
    'trunks:',
    '  - name: carrier',
    `    outbound: { host: 127.0.0.1, port: ${port}, credentials: { username: gw, password: ${PASSWORD} }${register} }`,
  ].join('\n');
}

async function gatewayWith(text: string, logs: LogEntry[] = []): Promise<Gateway> {
  const gateway = await Gateway.start(parseConfig(text), capturingLogger(logs));
  cleanups.push(() => gateway.close());
  return gateway;
}

async function adminTrunks(gateway: Gateway): Promise<TrunkSummary[]> {
  const admin = await startAdminApi(gateway, { bind: '127.0.0.1', port: 0, token: TOKEN, logger: winston.createLogger({ silent: true }) });
  try {
    const res = await fetch(`http://127.0.0.1:${admin.port}/api/trunks`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as TrunkSummary[];
  } finally {
    await admin.close();
  }
}

/** Resolves once another process (SIPp) has bound the UDP port: our own bind then fails. */
async function udpPortTaken(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const sock = dgram.createSocket('udp4');
    const taken = await new Promise<boolean>((resolve) => {
      sock.once('error', () => resolve(true));
      sock.bind(port, '127.0.0.1', () => resolve(false));
    });
    sock.close();
    if (taken) return;
    await new Promise((r) => setTimeout(r, 25)); // retry pacing while SIPp starts
  }
  throw new Error(`nothing bound udp ${port}`);
}

/** Kamailio's "REGISTER saved" lines: one per binding it stored, refreshed or removed. */
function savedRegisters(k: KamailioPeer): { contact: string; expires: number; callId: string; cseq: number }[] {
  return [...k.log().matchAll(/REGISTER saved aor=\S+ contact=(\S+) expires=(\d+) callid=(\S+) cseq=(\d+)/g)]
    .map((m) => ({ contact: m[1]!, expires: Number(m[2]), callId: m[3]!, cseq: Number(m[4]) }));
}

describe.skipIf(!kamailioInstalled)('trunk outbound registration (RFC 3261 10.2)', () => {
  it('registers at Kamailio answering its MD5 challenge, refreshes within the granted 2 s on the same Call-ID, and unregisters at shutdown', async () => {
    const k = await kamailio();
    const logs: LogEntry[] = [];
    const gateway = await gatewayWith(yaml(', register: { expiresS: 2 }', k.port), logs);

    await expect.poll(() => gateway.trunkSummaries()[0]?.registration?.state, { timeout: 5000 }).toBe('registered');
    const [trunk] = await adminTrunks(gateway);
    expect(trunk!.registration).toMatchObject({ state: 'registered', aor: 'sip:gw@127.0.0.1', registrar: k.uri, grantedS: 2 });

    // RFC 3261 10.2.4: refreshed before the 2 s binding expires (at half its life), same Call-ID, CSeq up.
    await expect.poll(() => savedRegisters(k).length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    const saved = savedRegisters(k);
    expect(new Set(saved.map((r) => r.callId)).size).toBe(1);
    expect(saved.every((r) => r.expires === 2)).toBe(true);
    expect(saved.map((r) => r.cseq)).toEqual([...saved.map((r) => r.cseq)].sort((a, b) => a - b));
    expect(saved[0]!.contact).toMatch(/^<sip:gw@127\.0\.0\.1:\d+>$/);
    // One log line for the state change, refreshes at debug only.
    expect(logs.filter((l) => l.message === 'trunk registered')).toHaveLength(1);

    await gateway.close();
    // Kamailio's stderr line may trail its 200 by a moment.
    await expect.poll(() => savedRegisters(k).at(-1)?.expires, { timeout: 2000 }).toBe(0);
    expect(savedRegisters(k).at(-1)!.callId).toBe(saved[0]!.callId);
    expect(logs.some((l) => l.message === 'trunk registration stopped' && l.why === 'gateway shutting down')).toBe(true);
  }, 30_000);

  it('fails over from a registrar answering 503 (SIPp) to Kamailio; the admin API names the second registrar', async () => {
    const k = await kamailio();
    const downPort = await freePort();
    const sipp = runSipp(['-sf', down503, '-p', String(downPort), '-timeout', '30s']);
    cleanups.push(() => sipp.child.kill('SIGKILL'));
    const logs: LogEntry[] = [];
    const registrars = `registrars: [{ host: 127.0.0.1, port: ${downPort} }, { host: 127.0.0.1, port: ${k.port} }]`;
    await udpPortTaken(downPort);
    const gateway = await gatewayWith(yaml(`, register: { expiresS: 300, ${registrars} }`, k.port), logs);

    await expect.poll(() => gateway.trunkSummaries()[0]?.registration?.state, { timeout: 10_000 }).toBe('registered');
    const [trunk] = await adminTrunks(gateway);
    expect(trunk!.registration).toMatchObject({
      state: 'registered',
      registrar: k.uri,
      registrars: [`sip:127.0.0.1:${downPort}`, k.uri],
      grantedS: 300,
    });
    const failover = logs.find((l) => l.message === 'trunk registration failing over');
    expect(failover).toMatchObject({ trunk: 'carrier', from: `sip:127.0.0.1:${downPort}`, to: k.uri });
    expect(failover!.status).toBe(503);
    expect(trunk!.registration!.lastFailure).toMatchObject({ status: 503 });
    expect(savedRegisters(k)).toHaveLength(1);
  }, 30_000);

  it('a reload (config watcher, SIGHUP path) that removes the registration unregisters it (Expires 0) and leaves a call in progress up', async () => {
    const k = await kamailio();
    const logs: LogEntry[] = [];
    const withRegister = yaml(', register: { expiresS: 300 }', k.port);
    const dir = mkdtempSync(join(tmpdir(), 'roomgate-trunk-reg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, withRegister);
    const gateway = await gatewayWith(withRegister, logs);
    const reloader = watchConfigFile(file, { apply: (c) => gateway.applyConfig(c), onError: (err) => { throw err; }, watchFile: false });
    await expect.poll(() => gateway.trunkSummaries()[0]?.registration?.state, { timeout: 5000 }).toBe('registered');

    const caller = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, transports: ['udp'], logger: captureLogger() });
    cleanups.push(() => caller.close());
    const dialog = await caller.invite({ requestUri: `sip:probe@127.0.0.1:${gateway.sipPort}`, fromUri: 'sip:t@127.0.0.1', sdp: SDP_A }).result;
    await expect.poll(() => gateway.activeCalls().map((c) => c.state)).toEqual(['active']);

    writeFileSync(file, withRegister.replace(', register: { expiresS: 300 }', ''));
    expect(reloader.reload('SIGHUP')).toBe(true);
    await expect.poll(() => savedRegisters(k).at(-1)?.expires, { timeout: 5000 }).toBe(0);
    expect(gateway.trunkSummaries()[0]?.registration).toBeUndefined();
    expect(logs.some((l) => l.message === 'trunk registration stopped' && l.why === 'trunk registration removed')).toBe(true);
    expect(gateway.activeCalls().map((c) => c.state)).toEqual(['active']);

    // Registering again with another lifetime: the new REGISTER follows the removal.
    writeFileSync(file, withRegister.replace('expiresS: 300', 'expiresS: 200'));
    expect(reloader.reload('SIGHUP')).toBe(true);
    await expect.poll(() => savedRegisters(k).at(-1)?.expires, { timeout: 5000 }).toBe(200);
    expect(gateway.trunkSummaries()[0]?.registration?.state).toBe('registered');

    // Changed in place: the old binding is removed first, then the new one is registered (10.3 step 7).
    const before = savedRegisters(k).length;
    writeFileSync(file, withRegister.replace('expiresS: 300', 'expiresS: 250'));
    expect(reloader.reload('SIGHUP')).toBe(true);
    await expect.poll(() => savedRegisters(k).slice(before).map((r) => r.expires), { timeout: 5000 }).toEqual([0, 250]);
    expect(logs.some((l) => l.message === 'trunk registration stopped' && l.why === 'trunk registration changed')).toBe(true);
    await expect.poll(() => gateway.trunkSummaries()[0]?.registration).toMatchObject({ state: 'registered', grantedS: 250 });
    expect(gateway.activeCalls().map((c) => c.state)).toEqual(['active']);

    await dialog.bye();
    await expect.poll(() => gateway.stats().activeCalls).toBe(0);
  }, 30_000);
});

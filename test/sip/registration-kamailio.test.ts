/**
 * Interop: our outbound Registration against Debian's Kamailio as an authenticating registrar
 * (SHA-256 and MD5 challenges with qop=auth), and failover from a registrar answering 503.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDigestHeader, SipStack, type SipRequest } from '../../sip/index.ts';
import { Registration } from '../../sip/registration/index.ts';
import { captureLogger, FAST_TIMERS } from './helpers.ts';
import { freePort } from './sipp.ts';

const CONFIG = fileURLToPath(new URL('./registration-kamailio.cfg', import.meta.url));
const installed = spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).status === 0;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Kamailio in the foreground (-DD) in its own process group; stopped with the group. */
async function kamailio(algorithm: 'MD5' | 'SHA-256', password: string): Promise<{ uri: string; log: () => string }> {
  const port = await freePort();
  const runtimeDir = mkdtempSync(join(tmpdir(), 'roomgate-kamailio-reg-'));
  const child: ChildProcess = spawn('kamailio', ['-f', CONFIG, '-DD', '-E', '-l', `udp:127.0.0.1:${port}`,
    '-A', `ALGORITHM="${algorithm}"`, '-A', `PASSWORD="${password}"`, '-n', '1', '-m', '64', '-Y', runtimeDir],
  { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 50_000) stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    await exited;
    rmSync(runtimeDir, { recursive: true, force: true });
  });
  return { uri: `sip:127.0.0.1:${port}`, log: () => stderr };
}

async function client(): Promise<SipStack> {
  // T1 20 ms: the REGISTER is retransmitted (Timer E) while Kamailio is still starting.
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: { ...FAST_TIMERS, t2Ms: 200 }, transports: ['udp'] });
  cleanups.push(() => s.close());
  return s;
}

function next<T extends unknown[]>(reg: Registration, event: 'registered' | 'failed' | 'failover'): Promise<T> {
  return new Promise((resolve) => reg.once(event, ((...args: T) => resolve(args)) as never));
}

describe.skipIf(!installed)('Registration → Kamailio registrar with digest auth', () => {
  it.each(['SHA-256', 'MD5'] as const)('registers answering a %s challenge, Kamailio grants the binding, stop() unregisters', async (alg) => {
    const k = await kamailio(alg, 'pw-gw');
    const s = await client();
    const sent: SipRequest[] = [];
    const send = s.sendRequest.bind(s);
    s.sendRequest = (req, dest, user) => { sent.push(req); return send(req, dest, user); };
    const reg = new Registration(s, { aor: 'sip:gw@127.0.0.1', registrars: [k.uri], credentials: { username: 'gw', password: 'pw-gw' }, expiresS: 300 });
    const failed = next<[number, string]>(reg, 'failed').then(([st, r]) => { throw new Error(`failed ${st} ${r}\n${k.log()}`); });
    reg.start();
    const [granted, registrar] = await Promise.race([next<[number, string]>(reg, 'registered'), failed]);
    expect(granted).toBe(300); // Kamailio lists our contact with the expires it stored
    expect(registrar).toBe(k.uri);
    const credentials = parseDigestHeader(sent[1].headers.get('authorization') ?? '');
    expect(credentials?.params.get('algorithm')).toBe(alg);
    expect(credentials?.params.get('qop')).toBe('auth');
    await reg.stop();
    expect(reg.state).toBe('stopped');
  });

  it('fails over from a registrar answering 503 to Kamailio', async () => {
    const down = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), transports: ['udp'] });
    cleanups.push(() => down.close());
    down.setRegistrar({ handleRegister: () => ({ status: 503, reason: 'Maintenance' }) });
    const k = await kamailio('SHA-256', 'pw-gw');
    const s = await client();
    const reg = new Registration(s, { aor: 'sip:gw@127.0.0.1', registrars: [`sip:127.0.0.1:${down.port}`, k.uri],
      credentials: { username: 'gw', password: 'pw-gw' }, expiresS: 300 });
    const failover = next<[string, string, number]>(reg, 'failover');
    const registered = next<[number, string]>(reg, 'registered');
    reg.start();
    expect((await failover)[2]).toBe(503);
    expect((await registered)[1]).toBe(k.uri);
  });

  it('wrong password: Kamailio challenges again and the registration reports 401', async () => {
    const k = await kamailio('SHA-256', 'pw-gw');
    const s = await client();
    const reg = new Registration(s, { aor: 'sip:gw@127.0.0.1', registrars: [k.uri], credentials: { username: 'gw', password: 'nope' } });
    const failed = next<[number, string]>(reg, 'failed');
    reg.start();
    expect((await failed)[0]).toBe(401);
    await reg.stop();
  });
});

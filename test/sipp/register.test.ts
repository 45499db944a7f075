/**
 * Interop: the real SIPp 3.6 registers with digest auth (MD5, SIPp's [authentication]) to our
 * Registrar behind a SipStack on 127.0.0.1 (acceptance 1: "REGISTER with auth").
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator, ManualClock, Registrar, SipStack, type Binding } from '../../sip/index.ts';
import { captureLogger } from '../sip/helpers.ts';
import { killAllSipp, runSipp } from '../sip/sipp.ts';

const scenario = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));
const TIMERS = { t1Ms: 50, t2Ms: 400, t4Ms: 200, tdMs: 500 }; // T1 matches the scenarios' retrans="50"
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  killAllSipp();
  while (cleanups.length > 0) await cleanups.pop()!();
});
afterAll(() => killAllSipp());

async function registrarOnStack(transports: ('udp' | 'tcp')[]) {
  const stack = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: TIMERS, transports });
  const clock = new ManualClock(); // bindings never expire during a test; expiresAt is exact
  const users: Record<string, string> = { room1: 'pw-room1', room2: 'pw-room2' };
  // SIPp answers MD5 only: the registrar offers MD5 here (SHA-256 is covered by baresip and unit tests).
  const authenticator = new DigestAuthenticator({ realm: '127.0.0.1', lookupPassword: (u) => users[u], algorithms: ['MD5'] });
  const registrar = new Registrar({ clock, logger: captureLogger(), authenticator });
  stack.setRegistrar(registrar);
  const changes: [string, Binding[]][] = [];
  registrar.on('changed', (aor, b) => changes.push([aor, b]));
  cleanups.push(async () => { registrar.close(); await stack.close(); });
  return { stack, registrar, changes };
}

describe('SIPp REGISTER with digest auth → Registrar', () => {
  it.each([['UDP', 'u1', 'udp'], ['TCP', 't1', 'tcp']] as const)(
    'over %s: 401, authenticated REGISTER bound (200 lists it), then Contact * unregistered', async (_n, t, transport) => {
      const { stack, registrar, changes } = await registrarOnStack([transport]);
      const { done } = runSipp(['-sf', scenario('register-auth.xml'), `127.0.0.1:${stack.port}`, '-t', t,
        '-s', 'room1', '-au', 'room1', '-ap', 'pw-room1', '-m', '5', '-r', '10']);
      const r = await done;
      expect(r.code, r.output.slice(-2500)).toBe(0);
      expect(r.successful).toBe(5);
      // Each call bound one contact (as room1) and then removed all.
      const bound = changes.filter(([, b]) => b.length > 0);
      expect(bound.length).toBe(5);
      expect(bound.every(([aor, b]) => aor === 'sip:room1@127.0.0.1' && b[0].user === 'room1')).toBe(true);
      expect(registrar.aors()).toEqual([]);
    });

  it('too brief an interval: 423 with Min-Expires, then bound for Min-Expires', async () => {
    const { stack, registrar } = await registrarOnStack(['udp']);
    const { done } = runSipp(['-sf', scenario('register-too-brief.xml'), `127.0.0.1:${stack.port}`, '-t', 'u1',
      '-s', 'room2', '-au', 'room2', '-ap', 'pw-room2', '-m', '1']);
    const r = await done;
    expect(r.code, r.output.slice(-2500)).toBe(0);
    expect(r.successful).toBe(1);
    const [binding] = registrar.lookup('sip:room2@127.0.0.1');
    expect(binding.expiresAt).toBe(60_000); // Min-Expires (default 60 s) on a clock at 0
    expect(binding.user).toBe('room2');
  });

  it('wrong password: challenged again, nothing bound', async () => {
    const { stack, registrar, changes } = await registrarOnStack(['udp']);
    const { done } = runSipp(['-sf', scenario('register-wrong-password.xml'), `127.0.0.1:${stack.port}`, '-t', 'u1',
      '-s', 'room1', '-au', 'room1', '-ap', 'guess', '-m', '3', '-r', '10']);
    const r = await done;
    expect(r.code, r.output.slice(-2500)).toBe(0);
    expect(r.successful).toBe(3);
    expect(changes).toEqual([]);
    expect(registrar.aors()).toEqual([]);
  });
});

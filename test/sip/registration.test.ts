/** Outbound registration against our own registrar, two stacks on loopback; the client's time is a ManualClock. */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator, ManualClock, Registrar, SipStack, SystemClock } from '../../sip/index.ts';
import { Registration, refreshDelayS } from '../../sip/registration/index.ts';
import { captureLogger, FAST_TIMERS } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function server(handler: 'registrar' | 503, auth = true) {
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS, transports: ['udp'] });
  open.push(s);
  const clock = new SystemClock();
  const authenticator = auth ? new DigestAuthenticator({ realm: 'gw.test', lookupPassword: (u) => (u === 'room1' ? 'pw1' : undefined) }) : undefined;
  const registrar = new Registrar({ clock, logger: captureLogger(), authenticator, minExpiresS: 60 });
  open.push({ close: async () => { registrar.close(); clock.cancelAll(); } });
  if (handler === 'registrar') s.setRegistrar(registrar);
  else s.setRegistrar({ handleRegister: () => ({ status: 503, reason: 'Down For Maintenance' }) });
  return { s, registrar, uri: `sip:127.0.0.1:${s.port}` };
}

async function client() {
  const clock = new ManualClock();
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS, transports: ['udp'], clock });
  open.push(s);
  return { s, clock };
}

function next<T extends unknown[]>(reg: Registration, event: 'registered' | 'failed' | 'failover'): Promise<T> {
  return new Promise((resolve) => reg.once(event, ((...args: T) => resolve(args)) as never));
}

describe('Registration (RFC 3261 10.2)', () => {
  it('refreshes halfway for short bindings and a minute early for long ones', () => {
    expect(refreshDelayS(60)).toBe(30);
    expect(refreshDelayS(3600)).toBe(3540);
  });

  it('registers with digest auth (401 answered), refreshes before expiry on the same Call-ID, and unregisters on stop', async () => {
    const a = await server('registrar');
    const { s, clock } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [a.uri], credentials: { username: 'room1', password: 'pw1' }, expiresS: 120 });
    const first = next<[number, string]>(reg, 'registered');
    reg.start();
    expect(await first).toEqual([120, a.uri]);
    const [binding] = a.registrar.lookup('sip:room1@gw.test');
    expect(binding.contact).toBe(`sip:room1@127.0.0.1:${s.port}`);
    expect(binding.user).toBe('room1');

    const refreshed = next<[number, string]>(reg, 'registered');
    clock.advance(60_000); // refreshDelayS(120) = 60 s
    await refreshed;
    const [again] = a.registrar.lookup('sip:room1@gw.test');
    expect(again.callId).toBe(binding.callId);
    expect(again.cseq).toBeGreaterThan(binding.cseq);

    await reg.stop();
    expect(a.registrar.lookup('sip:room1@gw.test')).toEqual([]);
    expect(reg.state).toBe('stopped');
  });

  it('fails over to the next registrar on 503 and registers there', async () => {
    const down = await server(503);
    const up = await server('registrar', false);
    const { s } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [down.uri, up.uri], expiresS: 300 });
    const failover = next<[string, string, number]>(reg, 'failover');
    const registered = next<[number, string]>(reg, 'registered');
    reg.start();
    expect(await failover).toEqual([down.uri, up.uri, 503]);
    expect((await registered)[1]).toBe(up.uri);
    expect(up.registrar.lookup('sip:room1@gw.test')).toHaveLength(1);
  });

  it('fails over when a registrar never answers (Timer F = 64·T1 → 408)', async () => {
    const silent = dgram.createSocket('udp4'); // receives and never answers
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise<void>((r) => silent.close(() => r())) });
    const heard = new Promise<void>((r) => silent.once('message', () => r()));
    const up = await server('registrar', false);
    const { s, clock } = await client();
    const blackHole = `sip:127.0.0.1:${silent.address().port}`;
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [blackHole, up.uri] });
    const failover = next<[string, string, number]>(reg, 'failover');
    const registered = next<[number, string]>(reg, 'registered');
    reg.start();
    await heard;
    clock.advance(64 * FAST_TIMERS.t1Ms);
    expect(await failover).toEqual([blackHole, up.uri, 408]);
    expect((await registered)[1]).toBe(up.uri);
  });

  it('waits the Retry-After of a 503 (RFC 3261 20.33) when it is longer than retryAfterS', async () => {
    const s0 = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS, transports: ['udp'] });
    open.push(s0);
    let attempts = 0;
    s0.setRegistrar({ handleRegister: () => { attempts++; return { status: 503, headers: [{ name: 'Retry-After', value: '120 (maintenance)' }] }; } });
    const { s, clock } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [`sip:127.0.0.1:${s0.port}`], retryAfterS: 10 });
    const failed = next<[number, string]>(reg, 'failed');
    reg.start();
    expect((await failed)[0]).toBe(503);
    expect(clock.pending).toBeGreaterThan(0);
    clock.advance(119_000);
    expect(reg.state).toBe('retrying');
    const again = next<[number, string]>(reg, 'failed');
    clock.advance(1_000);
    await again;
    expect(attempts).toBe(2);
  });

  it('reports failure on wrong credentials (no retry loop) and retries after retryAfterS', async () => {
    const a = await server('registrar');
    const { s, clock } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [a.uri], credentials: { username: 'room1', password: 'wrong' }, retryAfterS: 10 });
    const failed = next<[number, string]>(reg, 'failed');
    reg.start();
    expect((await failed)[0]).toBe(401);
    expect(reg.state).toBe('retrying');
    const again = next<[number, string]>(reg, 'failed');
    clock.advance(10_000);
    expect((await again)[0]).toBe(401);
    expect(a.registrar.aors()).toEqual([]);
  });

  it('answers a stale=true challenge a second time but no more (RFC 7616 3.3), then fails', async () => {
    const s0 = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS, transports: ['udp'] });
    open.push(s0);
    let t = 0;
    // Each reading of the authenticator's clock is 10 s later than the last: every nonce is stale when checked.
    const authenticator = new DigestAuthenticator({ realm: 'gw.test', lookupPassword: () => 'pw1', nonceTtlMs: 5_000, now: () => (t += 10_000) });
    let withCredentials = 0;
    s0.setRegistrar({ handleRegister: (req) => {
      if (req.headers.has('authorization')) withCredentials++;
      const d = authenticator.authorize(req);
      return d.allow ? { status: 200 } : { status: d.status, headers: d.headers };
    } });
    const { s } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [`sip:127.0.0.1:${s0.port}`], credentials: { username: 'room1', password: 'pw1' } });
    const failed = next<[number, string]>(reg, 'failed');
    reg.start();
    expect((await failed)[0]).toBe(401);
    expect(withCredentials).toBe(2);
  });

  it('raises its expiry to the Min-Expires of a 423 and retries', async () => {
    const a = await server('registrar', false);
    const { s } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [a.uri], expiresS: 10 });
    const registered = next<[number, string]>(reg, 'registered');
    reg.start();
    expect((await registered)[0]).toBe(60);
  });

  it('doubles its wait after each round in which every registrar failed, up to retryMaxS', async () => {
    const down = await server(503);
    const { s, clock } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [down.uri], retryAfterS: 10, retryMaxS: 25 });
    const waits: number[] = [];
    reg.on('failed', (_status, _reason, retryInS) => waits.push(retryInS));
    const first = next<[number, string, number]>(reg, 'failed');
    reg.start();
    await first;
    for (const waitS of [10, 20, 25]) {
      const again = next<[number, string, number]>(reg, 'failed');
      clock.advance(waitS * 1000);
      await again;
    }
    expect(waits).toEqual([10, 20, 25, 25]);
  });

  it('fails over on 403 Forbidden too: that registrar refuses us, the next one may not', async () => {
    const s0 = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS, transports: ['udp'] });
    open.push(s0);
    s0.setRegistrar({ handleRegister: () => ({ status: 403 }) });
    const up = await server('registrar', false);
    const { s } = await client();
    const forbidding = `sip:127.0.0.1:${s0.port}`;
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [forbidding, up.uri] });
    const failover = next<[string, string, number]>(reg, 'failover');
    const registered = next<[number, string]>(reg, 'registered');
    reg.start();
    expect(await failover).toEqual([forbidding, up.uri, 403]);
    expect((await registered)[1]).toBe(up.uri);
  });

  it('registered at a backup, goes back to the first registrar after primaryRetryS once it answers again', async () => {
    const first = await server('registrar', false);
    let firstDown = true;
    const healthy = first.registrar;
    first.s.setRegistrar({ handleRegister: (req, src) => (firstDown ? { status: 503 } : healthy.handleRegister(req, src)) });
    const backup = await server('registrar', false);
    const { s, clock } = await client();
    const reg = new Registration(s, { aor: 'sip:room1@gw.test', registrars: [first.uri, backup.uri], expiresS: 600, primaryRetryS: 30 });
    const atBackup = next<[number, string]>(reg, 'registered');
    reg.start();
    expect((await atBackup)[1]).toBe(backup.uri);
    firstDown = false;
    const atFirst = next<[number, string]>(reg, 'registered');
    clock.advance(30_000);
    expect((await atFirst)[1]).toBe(first.uri);
    expect(first.registrar.lookup('sip:room1@gw.test')).toHaveLength(1);
    // Back at the first registrar, the next attempt is the normal refresh (a minute before 600 s).
    expect(reg.registrar).toBe(first.uri);
  });
});

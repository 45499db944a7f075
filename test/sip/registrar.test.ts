import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, DigestClient, ManualClock, Registrar, SipRequest, SipResponse, type Binding } from '../../sip/index.ts';
import { captureLogger } from './helpers.ts';

const SRC = { transport: 'udp' as const, address: '127.0.0.1', port: 5070 };

function register(opts: { contacts?: string[]; expires?: string; callId?: string; cseq?: number; to?: string; uri?: string } = {}): SipRequest {
  const req = new SipRequest('REGISTER', opts.uri ?? 'sip:gw.example');
  req.headers.append('Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1');
  req.headers.append('From', `<${opts.to ?? 'sip:alice@gw.example'}>;tag=1`);
  req.headers.append('To', `<${opts.to ?? 'sip:alice@gw.example'}>`);
  req.headers.append('Call-ID', opts.callId ?? 'reg-1');
  req.headers.append('CSeq', `${opts.cseq ?? 1} REGISTER`);
  for (const c of opts.contacts ?? []) req.headers.append('Contact', c);
  if (opts.expires !== undefined) req.headers.append('Expires', opts.expires);
  return req;
}

function setup(extra: Partial<ConstructorParameters<typeof Registrar>[0]> = {}) {
  const clock = new ManualClock();
  const registrar = new Registrar({ clock, logger: captureLogger(), domains: ['gw.example'], ...extra });
  const changes: [string, Binding[]][] = [];
  registrar.on('changed', (aor, b) => changes.push([aor, b]));
  return { clock, registrar, changes };
}

const contactsOf = (r: { headers?: { name: string; value: string }[] }) =>
  (r.headers ?? []).filter((h) => h.name === 'Contact').map((h) => h.value);

describe('Registrar (RFC 3261 10.3)', () => {
  it('binds a contact, lists it with its expires in the 200, and serves lookups', () => {
    const { registrar, changes } = setup();
    const r = registrar.handleRegister(register({ contacts: ['<sip:alice@127.0.0.1:5070>;expires=120'] }), SRC);
    expect(r.status).toBe(200);
    expect(contactsOf(r)).toEqual(['<sip:alice@127.0.0.1:5070>;expires=120']);
    expect(registrar.lookup('sip:alice@GW.example:5060').map((b) => b.contact)).toEqual(['sip:alice@127.0.0.1:5070']);
    expect(registrar.lookup('alice')[0].source).toEqual(SRC);
    expect(changes.map(([aor, b]) => [aor, b.length])).toEqual([['sip:alice@gw.example', 1]]);
  });

  it('takes Expires from the header, then the default, and clamps to the maximum', () => {
    const { registrar, clock } = setup({ maxExpiresS: 600, defaultExpiresS: 300 });
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>'], expires: '100' }), SRC);
    registrar.handleRegister(register({ contacts: ['<sip:b@127.0.0.1:2>'], cseq: 2 }), SRC);
    const r = registrar.handleRegister(register({ contacts: ['<sip:c@127.0.0.1:3>;expires=99999'], cseq: 3 }), SRC);
    const byContact = Object.fromEntries(registrar.lookup('alice').map((b) => [b.contact, (b.expiresAt - clock.now()) / 1000]));
    expect(byContact).toEqual({ 'sip:a@127.0.0.1:1': 100, 'sip:b@127.0.0.1:2': 300, 'sip:c@127.0.0.1:3': 600 });
    expect(contactsOf(r)).toHaveLength(3);
  });

  it('answers 423 with Min-Expires to a too-brief interval and binds nothing', () => {
    const { registrar } = setup({ minExpiresS: 60 });
    const r = registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>'], expires: '30' }), SRC);
    expect(r.status).toBe(423);
    expect(r.headers).toContainEqual({ name: 'Min-Expires', value: '60' });
    expect(registrar.lookup('alice')).toEqual([]);
  });

  it('expires a binding when its time runs out and emits changed', () => {
    const { registrar, clock, changes } = setup();
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>;expires=60'] }), SRC);
    clock.advance(59_999);
    expect(registrar.lookup('alice')).toHaveLength(1);
    clock.advance(1);
    expect(registrar.lookup('alice')).toEqual([]);
    expect(changes.at(-1)).toEqual(['sip:alice@gw.example', []]);
    expect(clock.pending).toBe(0);
  });

  it('a refresh replaces the binding and its timer (no early expiry)', () => {
    const { registrar, clock } = setup();
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>;expires=60'] }), SRC);
    clock.advance(50_000);
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>;expires=60'], cseq: 2 }), SRC);
    clock.advance(20_000);
    expect(registrar.lookup('alice')).toHaveLength(1);
    expect(clock.pending).toBe(1);
  });

  it('removes one contact with expires=0 and all with Contact: * / Expires: 0', () => {
    const { registrar } = setup();
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>', '<sip:b@127.0.0.1:2>'] }), SRC);
    const r1 = registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>;expires=0'], cseq: 2 }), SRC);
    expect(contactsOf(r1).map((c) => c.split(';')[0])).toEqual(['<sip:b@127.0.0.1:2>']);
    const r2 = registrar.handleRegister(register({ contacts: ['*'], expires: '0', cseq: 3 }), SRC);
    expect(r2.status).toBe(200);
    expect(contactsOf(r2)).toEqual([]);
    expect(registrar.aors()).toEqual([]);
  });

  it('rejects * without Expires: 0, or beside another Contact, with 400', () => {
    const { registrar } = setup();
    expect(registrar.handleRegister(register({ contacts: ['*'], expires: '60' }), SRC).status).toBe(400);
    expect(registrar.handleRegister(register({ contacts: ['*', '<sip:a@h>'], expires: '0' }), SRC).status).toBe(400);
    expect(registrar.handleRegister(register({ contacts: ['*'] }), SRC).status).toBe(400);
  });

  it('refuses a same-Call-ID REGISTER whose CSeq is not higher, atomically', () => {
    const { registrar } = setup();
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>'], cseq: 5 }), SRC);
    const r = registrar.handleRegister(register({ contacts: ['<sip:b@127.0.0.1:2>', '<sip:a@127.0.0.1:1>;expires=0'], cseq: 5 }), SRC);
    expect(r.status).toBe(500);
    expect(registrar.lookup('alice').map((b) => b.contact)).toEqual(['sip:a@127.0.0.1:1']);
    // A new Call-ID (another device or a reboot) may update it with any CSeq.
    expect(registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>;expires=0'], callId: 'other', cseq: 1 }), SRC).status).toBe(200);
    expect(registrar.lookup('alice')).toEqual([]);
  });

  it('a REGISTER without Contact fetches the bindings unchanged', () => {
    const { registrar, changes } = setup();
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>'] }), SRC);
    const r = registrar.handleRegister(register({ cseq: 2 }), SRC);
    expect(contactsOf(r)).toHaveLength(1);
    expect(changes).toHaveLength(1);
  });

  it('refuses foreign domains (403), bad To (404), bad Expires and Contact (400), too many contacts (403)', () => {
    const { registrar } = setup({ maxBindingsPerAor: 2 });
    expect(registrar.handleRegister(register({ uri: 'sip:evil.example', contacts: ['<sip:a@h>'] }), SRC).status).toBe(403);
    expect(registrar.handleRegister(register({ to: 'sip:gw.example', contacts: ['<sip:a@h>'] }), SRC).status).toBe(404);
    expect(registrar.handleRegister(register({ contacts: ['<sip:a@h>'], expires: 'soon' }), SRC).status).toBe(400);
    expect(registrar.handleRegister(register({ contacts: ['<sip:a@h'] }), SRC).status).toBe(400);
    expect(registrar.handleRegister(register({ contacts: ['<sip:a@h>;q=7'] }), SRC).status).toBe(400);
    expect(registrar.handleRegister(register({ contacts: ['<sip:a@h:1>', '<sip:a@h:2>', '<sip:a@h:3>'] }), SRC).status).toBe(403);
    expect(registrar.aors()).toEqual([]);
  });

  it('with an authenticator: 401 challenge first, 200 with credentials, 403 for another user\'s AOR', () => {
    const users: Record<string, string> = { alice: 'pw-a', bob: 'pw-b' };
    const authenticator = new DigestAuthenticator({ realm: 'gw.example', lookupPassword: (u) => users[u], secret: 's' });
    const { registrar } = setup({ authenticator });
    const req = register({ contacts: ['<sip:a@127.0.0.1:1>'] });
    const challenge = registrar.handleRegister(req, SRC);
    expect(challenge.status).toBe(401);
    expect(challenge.headers?.[0].name).toBe('WWW-Authenticate');
    const res = new SipResponse(401, 'Unauthorized');
    for (const h of challenge.headers ?? []) res.headers.append(h.name, h.value);

    const asAlice = register({ contacts: ['<sip:a@127.0.0.1:1>'], cseq: 2 });
    const creds = new DigestClient(() => ({ username: 'alice', password: 'pw-a' })).respond(res, asAlice)!;
    asAlice.headers.append(creds[0].name, creds[0].value);
    expect(registrar.handleRegister(asAlice, SRC).status).toBe(200);
    expect(registrar.lookup('alice')[0].user).toBe('alice');

    const asBob = register({ contacts: ['<sip:b@127.0.0.1:2>'], cseq: 3 });
    const bobCreds = new DigestClient(() => ({ username: 'bob', password: 'pw-b' })).respond(res, asBob)!;
    asBob.headers.append(bobCreds[0].name, bobCreds[0].value);
    expect(registrar.handleRegister(asBob, SRC).status).toBe(403);
  });

  it('close() drops every binding and timer', () => {
    const { registrar, clock } = setup();
    registrar.handleRegister(register({ contacts: ['<sip:a@127.0.0.1:1>'] }), SRC);
    registrar.close();
    expect(registrar.aors()).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, DigestClient, authorize, computeResponse, parseDigestHeader } from '../../sip/auth/index.ts';
import { SipRequest, SipResponse } from '../../sip/index.ts';

// RFC 7616 3.9.1 example inputs (password "Circle of Life", errata 4495).
const RFC = {
  username: 'Mufasa', realm: 'http-auth@example.org', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001', qop: 'auth' as const, opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
};

function register(uri = 'sip:gw.example'): SipRequest {
  const req = new SipRequest('REGISTER', uri);
  req.headers.append('Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1');
  req.headers.append('From', '<sip:alice@gw.example>;tag=1');
  req.headers.append('To', '<sip:alice@gw.example>');
  req.headers.append('Call-ID', 'c1');
  req.headers.append('CSeq', '1 REGISTER');
  return req;
}

function challengeResponse(headers: { name: string; value: string }[], status = 401): SipResponse {
  const res = new SipResponse(status, 'Unauthorized');
  for (const h of headers) res.headers.append(h.name, h.value);
  return res;
}

describe('digest computation (RFC 7616 3.9.1)', () => {
  it('gives the RFC response for SHA-256', () => {
    expect(computeResponse({ ...RFC, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });
  it('gives the RFC response for MD5', () => {
    expect(computeResponse({ ...RFC, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
  it('authorize() answers the RFC challenge with the RFC response and echoes opaque', () => {
    const challenge = `Digest realm="${RFC.realm}", qop="auth, auth-int", algorithm=SHA-256, nonce="${RFC.nonce}", opaque="${RFC.opaque}"`;
    const value = authorize(challenge, RFC, 'GET', RFC.uri, { cnonce: RFC.cnonce, nc: 1 });
    const p = parseDigestHeader(value)!.params;
    expect(p.get('response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(p.get('qop')).toBe('auth');
    expect(p.get('nc')).toBe('00000001');
    expect(p.get('opaque')).toBe(RFC.opaque);
    expect(p.get('algorithm')).toBe('SHA-256');
  });
  it('absent algorithm means MD5 (RFC 7616 3.3)', () => {
    const challenge = `Digest realm="${RFC.realm}", qop="auth", nonce="${RFC.nonce}"`;
    const p = parseDigestHeader(authorize(challenge, RFC, 'GET', RFC.uri, { cnonce: RFC.cnonce }))!.params;
    expect(p.get('response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });
});

describe('parseDigestHeader', () => {
  it('unescapes quoted strings and keeps commas inside quotes', () => {
    const p = parseDigestHeader('Digest realm="a\\"b, c", nonce=xyz ,qop="auth,auth-int"')!;
    expect(p.scheme).toBe('Digest');
    expect(p.params.get('realm')).toBe('a"b, c');
    expect(p.params.get('nonce')).toBe('xyz');
    expect(p.params.get('qop')).toBe('auth,auth-int');
  });
  it.each(['Digest', 'Digest realm="open', 'Digest realm=a realm=b', 'Digest realm=a, realm=b', 'Digest =x'])(
    'rejects broken syntax %s', (v) => expect(parseDigestHeader(v)).toBeUndefined());
});

describe('DigestAuthenticator', () => {
  let now = 1_000_000;
  const users: Record<string, string> = { alice: 'secret' };
  const make = (o: Partial<ConstructorParameters<typeof DigestAuthenticator>[0]> = {}) => new DigestAuthenticator({
    realm: 'gw.example', lookupPassword: (u) => users[u], secret: 'k', nonceTtlMs: 60_000, now: () => now, ...o });
  const client = new DigestClient((realm) => (realm === 'gw.example' ? { username: 'alice', password: 'secret' } : undefined));

  it('challenges with one header per algorithm, most preferred first, qop=auth', () => {
    const hs = make().challenge();
    expect(hs.map((h) => h.name)).toEqual(['WWW-Authenticate', 'WWW-Authenticate']);
    expect(hs.map((h) => parseDigestHeader(h.value)!.params.get('algorithm'))).toEqual(['SHA-256', 'MD5']);
    expect(parseDigestHeader(hs[0].value)!.params.get('qop')).toBe('auth');
  });

  it('accepts a DigestClient answer (SHA-256 chosen, the first offered)', () => {
    const auth = make();
    const req = register();
    const creds = client.respond(challengeResponse(auth.challenge(req)), req)!;
    expect(parseDigestHeader(creds[0].value)!.params.get('algorithm')).toBe('SHA-256');
    req.headers.append(creds[0].name, creds[0].value);
    expect(auth.verify(req)).toEqual({ ok: true, user: 'alice', algorithm: 'SHA-256' });
  });

  it('accepts MD5 when only MD5 is offered', () => {
    const auth = make({ algorithms: ['MD5'] });
    const req = register();
    const creds = client.respond(challengeResponse(auth.challenge(req)), req)!;
    req.headers.append(creds[0].name, creds[0].value);
    expect(auth.verify(req).ok).toBe(true);
  });

  it('refuses a wrong password, not stale', () => {
    const auth = make();
    const req = register();
    const bad = new DigestClient(() => ({ username: 'alice', password: 'guess' }));
    const creds = bad.respond(challengeResponse(auth.challenge(req)), req)!;
    req.headers.append(creds[0].name, creds[0].value);
    expect(auth.verify(req)).toMatchObject({ ok: false, stale: false, reason: 'wrong response digest' });
  });

  it('marks a correct answer to an expired nonce stale (RFC 7616 3.3) and re-challenges with stale=true', () => {
    const auth = make();
    const req = register();
    const creds = client.respond(challengeResponse(auth.challenge(req)), req)!;
    req.headers.append(creds[0].name, creds[0].value);
    now += 60_001;
    expect(auth.verify(req)).toMatchObject({ ok: false, stale: true });
    const decision = auth.authorize(req);
    expect(decision.allow).toBe(false);
    if (!decision.allow) {
      expect(decision.status).toBe(401);
      expect(parseDigestHeader(decision.headers[0].value)!.params.get('stale')).toBe('true');
    }
  });

  it('refuses a nonce another secret issued, an unknown user, a different uri, and no credentials', () => {
    const auth = make();
    const other = make({ secret: 'other' });
    const req = register();
    const creds = client.respond(challengeResponse(other.challenge(req)), req)!;
    req.headers.append(creds[0].name, creds[0].value);
    expect(auth.verify(req)).toMatchObject({ ok: false, reason: 'nonce not issued by us' });

    const req2 = register();
    const ghost = new DigestClient(() => ({ username: 'mallory', password: 'x' }));
    const c2 = ghost.respond(challengeResponse(auth.challenge(req2)), req2)!;
    req2.headers.append(c2[0].name, c2[0].value);
    expect(auth.verify(req2)).toMatchObject({ ok: false, reason: 'unknown user' });

    const req3 = register();
    const c3 = client.respond(challengeResponse(auth.challenge(req3)), req3)!;
    const moved = register('sip:elsewhere.example');
    moved.headers.append(c3[0].name, c3[0].value);
    expect(auth.verify(moved)).toMatchObject({ ok: false, reason: 'digest uri differs from Request-URI' });
    expect(make({ checkDigestUri: false }).verify(moved)).toMatchObject({ ok: true, user: 'alice' });

    expect(auth.verify(register())).toMatchObject({ ok: false, stale: false, reason: 'no credentials for realm' });
  });

  it('refuses garbage credentials without throwing', () => {
    const auth = make();
    for (const junk of ['Digest', 'Digest nonce="x', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Digest realm="gw.example", nonce="AAAA", username="alice", uri="sip:gw.example", response="00"']) {
      const req = register();
      req.headers.append('Authorization', junk);
      expect(auth.verify(req).ok).toBe(false);
    }
  });

  it('never throws on random credential headers (bad network input is refused, not a crash)', () => {
    const auth = make();
    const alphabet = 'Digest realm="gw.example" nonce=, \\"=username uri response qop=auth nc=1 cnonce algorithm=MD5 \t';
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let i = 0; i < 2000; i++) {
      let junk = '';
      for (let j = rand(120); j > 0; j--) junk += alphabet[rand(alphabet.length)];
      const req = register();
      req.headers.append('Authorization', junk);
      expect(auth.verify(req).ok).toBe(false);
    }
  });

  it('proxy mode uses 407 with Proxy-Authenticate and reads Proxy-Authorization', () => {
    const auth = make({ proxy: true });
    const req = register();
    const hs = auth.challenge(req);
    expect(auth.status).toBe(407);
    expect(hs[0].name).toBe('Proxy-Authenticate');
    const creds = client.respond(challengeResponse(hs, 407), req)!;
    expect(creds[0].name).toBe('Proxy-Authorization');
    req.headers.append(creds[0].name, creds[0].value);
    expect(auth.verify(req).ok).toBe(true);
  });

  it('DigestClient counts nonce uses (nc=1, then 2) and declines unknown realms', () => {
    const auth = make();
    const req = register();
    const res = challengeResponse(auth.challenge(req));
    const first = parseDigestHeader(client.respond(res, req)![0].value)!.params.get('nc');
    const second = parseDigestHeader(client.respond(res, req)![0].value)!.params.get('nc');
    expect([first, second]).toEqual(['00000001', '00000002']);
    const foreign = make({ realm: 'elsewhere' });
    expect(client.respond(challengeResponse(foreign.challenge(req)), req)).toBeUndefined();
  });
});

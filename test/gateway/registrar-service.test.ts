import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { parseConfig } from '../../config/index.ts';
import { RegistrarService } from '../../gateway/registrar-service.ts';
import { DigestClient, ManualClock, SipRequest, SipResponse, type RegisterHandler, type SipStack } from '../../sip/index.ts';

const logger = winston.createLogger({ silent: true });
const SRC = { transport: 'udp' as const, address: '192.0.2.7', port: 5070 };

function registrarConfig(yaml: string) {
  return parseConfig(`registrar:\n${yaml}`).registrar;
}

const ENABLED = [
  '  enabled: true',
  '  realm: gw.example',
  '  domains: [gw.example]',
  '  users: [{ username: room7, password: pw7 }, { username: room8, password: pw8 }]',
].join('\n');

function setup(yaml = ENABLED) {
  const attached: (RegisterHandler | undefined)[] = [];
  const sip = { setRegistrar: (h: RegisterHandler | undefined) => attached.push(h) } as unknown as SipStack;
  const clock = new ManualClock();
  const service = new RegistrarService(registrarConfig(yaml), sip, clock, logger);
  return { service, attached, clock, handler: () => attached.at(-1) };
}

let cseq = 1;
function register(user: string, contact: string): SipRequest {
  const req = new SipRequest('REGISTER', 'sip:gw.example');
  req.headers.append('Via', `SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK${cseq}`);
  req.headers.append('From', `<sip:${user}@gw.example>;tag=1`);
  req.headers.append('To', `<sip:${user}@gw.example>`);
  req.headers.append('Call-ID', `reg-${user}`);
  req.headers.append('CSeq', `${cseq++} REGISTER`);
  req.headers.append('Contact', `<${contact}>;expires=120`);
  return req;
}

/** One challenge round (RFC 3261 22.2): the final status and the realm that was challenged. */
function registerAs(handler: RegisterHandler, user: string, password: string, contact: string): { status: number; realm?: string } {
  const challenge = handler.handleRegister(register(user, contact), SRC);
  if (challenge.status !== 401) return { status: challenge.status };
  const res = new SipResponse(401, 'Unauthorized');
  for (const h of challenge.headers ?? []) res.headers.append(h.name, h.value);
  const req = register(user, contact);
  const creds = new DigestClient(() => ({ username: user, password })).respond(res, req)!;
  req.headers.append(creds[0]!.name, creds[0]!.value);
  const realm = /realm="([^"]+)"/.exec(challenge.headers![0]!.value)?.[1];
  return { status: handler.handleRegister(req, SRC).status, ...(realm ? { realm } : {}) };
}

describe('gateway registrar service', () => {
  it('disabled: no REGISTER handler on the stack, nobody resolves as registered', () => {
    const t = setup('  enabled: false');
    expect(t.attached.every((h) => h === undefined)).toBe(true);
    expect(t.service.resolve('room7', ['gw.example'])).toEqual({ kind: 'not-ours' });
    expect(t.service.bindings()).toEqual([]);
  });

  it('resolves registered names to their Contact; 480 for a known user not registered, 404 for a stranger at our domain', () => {
    const t = setup();
    expect(registerAs(t.handler()!, 'room7', 'pw7', 'sip:room7@192.0.2.7:5070').status).toBe(200);
    const at = { kind: 'registered', user: 'room7', aor: 'sip:room7@gw.example', contact: 'sip:room7@192.0.2.7:5070' };
    expect(t.service.resolve('room7', ['10.0.0.1'])).toEqual(at);
    expect(t.service.resolve('sip:room7@GW.example', ['10.0.0.1'])).toEqual(at);
    expect(t.service.resolve('sip:room7@10.0.0.1:5060', ['10.0.0.1'])).toEqual(at); // the gateway's own host
    expect(t.service.resolve('room8', ['10.0.0.1'])).toMatchObject({ kind: 'refused', status: 480 });
    expect(t.service.resolve('sip:ghost@gw.example', ['10.0.0.1'])).toMatchObject({ kind: 'refused', status: 404 });
    // Not ours: other domains and names that are not registrar users go to the trunk dial plan.
    expect(t.service.resolve('sip:room7@evil.example', ['10.0.0.1'])).toEqual({ kind: 'not-ours' });
    expect(t.service.resolve('lobby', ['10.0.0.1'])).toEqual({ kind: 'not-ours' });
    expect(t.service.bindings()).toEqual([{ aor: 'sip:room7@gw.example', contact: 'sip:room7@192.0.2.7:5070', user: 'room7', source: SRC, expiresInS: 120 }]);
  });

  it('a reload applies new passwords and realm and keeps existing bindings', () => {
    const t = setup();
    registerAs(t.handler()!, 'room7', 'pw7', 'sip:room7@192.0.2.7:5070');
    t.service.apply(registrarConfig(ENABLED.replace('pw8', 'rotated').replace('realm: gw.example', 'realm: rooms.example')));
    expect(t.attached).toHaveLength(1); // the same registrar stays attached
    expect(t.service.resolve('room7', [])).toMatchObject({ kind: 'registered' });
    expect(registerAs(t.handler()!, 'room8', 'pw8', 'sip:room8@192.0.2.8:5070').status).toBe(401);
    expect(registerAs(t.handler()!, 'room8', 'rotated', 'sip:room8@192.0.2.8:5070')).toEqual({ status: 200, realm: 'rooms.example' });
    expect(t.service.bindings().map((b) => b.user).sort()).toEqual(['room7', 'room8']);
  });

  it('disabling on reload detaches the registrar and drops its bindings and timers', () => {
    const t = setup();
    registerAs(t.handler()!, 'room7', 'pw7', 'sip:room7@192.0.2.7:5070');
    t.service.apply(registrarConfig('  enabled: false'));
    expect(t.handler()).toBeUndefined();
    expect(t.service.bindings()).toEqual([]);
    expect(t.clock.pending).toBe(0);
  });
});

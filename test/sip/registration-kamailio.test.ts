/**
 * Interop: our outbound Registration against Debian's Kamailio as an authenticating registrar
 * (SHA-256 and MD5 challenges with qop=auth), and failover from a registrar answering 503.
 */
import { describe, expect, it } from 'vitest';
import { parseDigestHeader, SipStack } from '../../sip/index.ts';
import { Registration } from '../../sip/registration/index.ts';
import { kamailioInstalled, kamailioTestScope } from './kamailio-peer.ts';
import { captureLogger } from './helpers.ts';

const { kamailio: peer, sipStack, defer } = kamailioTestScope();

function next<T extends unknown[]>(reg: Registration, event: 'registered' | 'failed' | 'failover'): Promise<T> {
  return new Promise((resolve) => reg.once(event, ((...args: T) => resolve(args)) as never));
}

describe.skipIf(!kamailioInstalled)('Registration → Kamailio registrar with digest auth', () => {
  it.each(['SHA-256', 'MD5'] as const)('registers answering a %s challenge, Kamailio grants the binding, stop() unregisters', async (alg) => {
    const k = await peer({ algorithm: alg, password: 'pw-gw' });
    const { s, sent } = await sipStack();
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
    defer(() => down.close());
    down.setRegistrar({ handleRegister: () => ({ status: 503, reason: 'Maintenance' }) });
    const k = await peer({ algorithm: 'SHA-256', password: 'pw-gw' });
    const { s } = await sipStack();
    const reg = new Registration(s, { aor: 'sip:gw@127.0.0.1', registrars: [`sip:127.0.0.1:${down.port}`, k.uri],
      credentials: { username: 'gw', password: 'pw-gw' }, expiresS: 300 });
    const failover = next<[string, string, number]>(reg, 'failover');
    const registered = next<[number, string]>(reg, 'registered');
    reg.start();
    expect((await failover)[2]).toBe(503);
    expect((await registered)[1]).toBe(k.uri);
  });

  it('wrong password: Kamailio challenges again and the registration reports 401', async () => {
    const k = await peer({ algorithm: 'SHA-256', password: 'pw-gw' });
    const { s } = await sipStack();
    const reg = new Registration(s, { aor: 'sip:gw@127.0.0.1', registrars: [k.uri], credentials: { username: 'gw', password: 'nope' } });
    const failed = next<[number, string]>(reg, 'failed');
    reg.start();
    expect((await failed)[0]).toBe(401);
    await reg.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { registrationOptions } from '../../gateway/trunks/trunk-registration.ts';
import { errorOf } from './config-error.ts';

const trunk = (register: string, extra = '') => [
  'trunks:',
  '  - name: carrier',
  `    outbound: { host: sip.carrier.example, port: 5070, transport: tcp${extra}, register: ${register} }`,
].join('\n');

describe('trunks[].outbound.register in config', () => {
  it('fills the defaults and derives the AOR and registrar from the trunk', () => {
    const config = parseConfig(trunk('{}', ', credentials: { username: gw, password: secret, realm: carrier }'));
    expect(config.trunks[0]!.outbound!.register).toEqual({ enabled: true, expiresS: 3600, retryS: 30, retryMaxS: 600, primaryRetryS: 300 });
    const options = registrationOptions(config.trunks[0]!)!;
    expect(options).toMatchObject({
      aor: 'sip:gw@sip.carrier.example',
      registrars: ['sip:sip.carrier.example:5070;transport=tcp'],
      expiresS: 3600, retryAfterS: 30, retryMaxS: 600, primaryRetryS: 300, transport: 'tcp',
    });
    // The trunk's credentials answer its own realm only (RFC 3261 22.2).
    const credentials = options.credentials as (realm: string) => unknown;
    expect(credentials('carrier')).toEqual({ username: 'gw', password: 'secret' });
    expect(credentials('elsewhere')).toBeUndefined();
  });

  it('takes a failover list of registrars, user and domain; enabled: false registers nothing', () => {
    const config = parseConfig(trunk('{ user: "+4930123", domain: carrier.example, registrars: [{ host: reg1.example }, { host: 192.0.2.7, port: 5080 }] }'));
    expect(registrationOptions(config.trunks[0]!)).toMatchObject({
      aor: 'sip:+4930123@carrier.example',
      registrars: ['sip:reg1.example:5060;transport=tcp', 'sip:192.0.2.7:5080;transport=tcp'],
    });
    expect(registrationOptions(parseConfig(trunk('{ enabled: false }')).trunks[0]!)).toBeUndefined();
    expect(registrationOptions(parseConfig('trunks: [{ name: a, outbound: { host: h } }]').trunks[0]!)).toBeUndefined();
  });

  it('refuses a bad lifetime, an empty registrar list and a backoff cap below its start, naming the key', () => {
    expect(errorOf(trunk('{ expiresS: 0 }')).key).toBe('trunks.0.outbound.register.expiresS');
    expect(errorOf(trunk('{ registrars: [] }')).key).toBe('trunks.0.outbound.register.registrars');
    const err = errorOf(trunk('{ retryS: 60, retryMaxS: 10 }'));
    expect(err.key).toBe('trunks.0.outbound.register.retryMaxS');
    expect(err.message).toMatch(/retryMaxS must be at least retryS/);
    expect(errorOf(trunk('{ expires: 60 }')).message).toMatch(/unknown key "expires"/);
  });
});

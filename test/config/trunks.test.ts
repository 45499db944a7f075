import { describe, expect, it } from 'vitest';
import { isValidCidr, parseConfig } from '../../config/index.ts';
import { errorOf } from './config-error.ts';


const TRUNK = [
  'trunks:',
  '  - name: carrier',
  '    inbound: { sources: [192.0.2.0/24, "2001:db8::/32"] }',
  '    outbound: { host: 192.0.2.10 }',
  "    permittedNumbers: ['^\\d+$']",
].join('\n');

describe('trunks and dial plan in config', () => {
  it('fills every trunk default', () => {
    const config = parseConfig(TRUNK);
    expect(config.trunks[0]).toEqual({
      name: 'carrier',
      inbound: { sources: ['192.0.2.0/24', '2001:db8::/32'], users: [], algorithms: ['SHA-256', 'MD5'] },
      outbound: {
        host: '192.0.2.10',
        port: 5060,
        transport: 'udp',
        codecs: { audio: ['G722', 'PCMU', 'PCMA', 'opus'], video: ['H264'] },
        srtp: 'off',
        keepalive: { intervalS: 0, failureThreshold: 3 },
        fromUser: 'roomgate',
      },
      maxConcurrentCalls: 0,
      permittedNumbers: ['^\\d+$'],
    });
    expect(config.sip.allowedSources).toEqual([]);
    expect(config.admin.tokenFile).toBe('admin-token');
  });

  it('accepts both the target form and the issue-#2 room form of dial rules', () => {
    const config = parseConfig(
      [TRUNK, 'dialPlan:', "  - { match: '^9(\\d+)$', rewrite: '$1', target: { trunk: [carrier] } }", "  - { match: '^(.+)$', room: '$1' }"].join('\n'),
    );
    expect(config.dialPlan).toEqual([
      { match: '^9(\\d+)$', rewrite: '$1', target: { trunk: ['carrier'] } },
      { match: '^(.+)$', room: '$1' },
    ]);
  });

  it('names the key and line of an invalid CIDR', () => {
    const err = errorOf(TRUNK.replace('192.0.2.0/24', '192.0.2.0/33'));
    expect(err.line).toBe(3);
    expect(err.key).toBe('trunks.0.inbound.sources.0');
    expect(err.message).toMatch(/not a valid CIDR prefix/);
  });

  it('refuses a dial rule naming an unknown trunk, on its line', () => {
    const err = errorOf([TRUNK, 'dialPlan:', "  - match: '^9'", '    target: { trunk: [carrier, nowhere] }'].join('\n'));
    expect(err.key).toBe('dialPlan.0.target.trunk');
    expect(err.line).toBe(8);
    expect(err.message).toMatch(/no trunk named "nowhere"/);
  });

  it('refuses duplicate trunk names and a rule with both room and target', () => {
    expect(errorOf(`${TRUNK}\n  - { name: carrier }`).message).toMatch(/trunks\.1\.name: duplicate trunk name "carrier"/);
    expect(errorOf("dialPlan: [{ match: 'x', room: a, target: { room: b } }]").message).toMatch(/exactly one of "target" or "room"/);
  });

  it('refuses a transport, SRTP policy or keepalive it does not know', () => {
    expect(errorOf(TRUNK.replace('host: 192.0.2.10', 'host: 192.0.2.10, transport: sctp')).key).toBe('trunks.0.outbound.transport');
    expect(errorOf(TRUNK.replace('host: 192.0.2.10', 'host: 192.0.2.10, srtp: maybe')).key).toBe('trunks.0.outbound.srtp');
    expect(errorOf(TRUNK.replace('host: 192.0.2.10', 'host: 192.0.2.10, keepalive: { intervalS: -1 }')).key).toBe('trunks.0.outbound.keepalive.intervalS');
  });

  it('refuses a short admin token', () => {
    expect(errorOf('admin: { token: short }').message).toMatch(/admin\.token: must be at least 16 characters/);
  });

  it('validates CIDR notation for IPv4 and IPv6', () => {
    expect(['10.0.0.0/8', '127.0.0.1', '::1/128', '2001:db8::/32'].every(isValidCidr)).toBe(true);
    expect(['10.0.0.0/', '10.0.0/8', '::1/129', 'host/8', '10.0.0.0/8/1'].some(isValidCidr)).toBe(false);
  });

  it("configures the stack's TLS, WebSocket and per-source rate limit, or turns the limit off", () => {
    const config = parseConfig('sip: { tls: { certFile: c.pem, keyFile: k.pem }, ws: { port: 8081 }, rateLimit: false }');
    expect(config.sip.tls).toEqual({ port: 5061, certFile: 'c.pem', keyFile: 'k.pem', verifyPeer: true });
    expect(config.sip.ws).toEqual({ port: 8081, path: '/' });
    expect(config.sip.rateLimit).toBe(false);
    expect(parseConfig('').sip.rateLimit).toEqual({ perSourcePerSecond: 1000, burst: 2000 });
    expect(errorOf('sip:\n  tls: { certFile: c.pem }').message).toMatch(/test\.yaml:2: sip\.tls\.keyFile/);
  });
});

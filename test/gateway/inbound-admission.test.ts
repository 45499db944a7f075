import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { InboundAdmission } from '../../gateway/trunks/inbound-admission.ts';
import { TrunkSet } from '../../gateway/trunks/trunk-set.ts';
import { parseMessage, type SipRequest, type Source } from '../../sip/index.ts';
import { capturingLogger, type LogEntry } from '../e2e/harness.ts';

function invite(callId: string): SipRequest {
  const text = [
    'INVITE sip:demo@192.0.2.1 SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1',
    'Max-Forwards: 70',
    'From: <sip:room@198.51.100.7>;tag=a',
    'To: <sip:demo@192.0.2.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const parsed = parseMessage(Buffer.from(text));
  if (parsed.kind !== 'message' || !parsed.message.isRequest) throw new Error('test INVITE did not parse');
  return parsed.message;
}
const from = (address: string): Source => ({ transport: 'udp', address, port: 5060 }) as Source;

function admission(yaml: string, logs: LogEntry[] = []) {
  const config = parseConfig(yaml);
  const trunks = new TrunkSet(config.trunks, config.sip.allowedSources);
  return new InboundAdmission(trunks, capturingLogger(logs));
}

describe('inbound admission', () => {
  it('refuses sources outside every allow-list with 403, one log line per source per interval', () => {
    const logs: LogEntry[] = [];
    const a = admission('trunks: [{ name: pbx, inbound: { sources: [10.0.0.0/8] } }]', logs);
    const decisions = [1, 2, 3].map((n) => a.authorize(invite(`c${n}`), from('198.51.100.7')));
    expect(decisions.every((d) => !d.allow && d.status === 403)).toBe(true);
    const lines = logs.filter((l) => l.message === 'request from a source outside the allow-lists refused');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ callId: 'c1', source: 'udp:198.51.100.7:5060' });
  });

  it('admits a source inside a trunk prefix and remembers the trunk for the call', () => {
    const a = admission('trunks: [{ name: pbx, inbound: { sources: [10.0.0.0/8] } }]');
    const req = invite('c1');
    expect(a.authorize(req, from('10.9.8.7'))).toEqual({ allow: true });
    expect(a.trunkOf(req)?.config.name).toBe('pbx');
  });

  it('challenges with 401 in the trunk realm when the trunk lists users (RFC 3261 22.1)', () => {
    const a = admission('trunks: [{ name: pbx, inbound: { sources: [10.0.0.0/8], realm: rooms, users: [{ username: u, password: p }], algorithms: [MD5] } }]');
    const decision = a.authorize(invite('c1'), from('10.1.1.1'));
    expect(decision).toMatchObject({ allow: false, status: 401 });
    const headers = decision.allow ? [] : decision.headers ?? [];
    expect(headers).toHaveLength(1);
    expect(headers[0]).toMatchObject({ name: 'WWW-Authenticate' });
    expect(headers[0]!.value).toMatch(/realm="rooms".*algorithm=MD5/);
  });

  it('an auth-only trunk challenges sources outside the allow-lists instead of refusing them', () => {
    const yaml = [
      'sip: { allowedSources: [10.0.0.0/8] }',
      'trunks: [{ name: remote, inbound: { realm: remote, users: [{ username: u, password: p }] } }]',
    ].join('\n');
    const a = admission(yaml);
    expect(a.authorize(invite('c1'), from('10.2.3.4'))).toEqual({ allow: true });
    expect(a.authorize(invite('c2'), from('198.51.100.7'))).toMatchObject({ allow: false, status: 401 });
  });
});

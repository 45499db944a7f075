/**
 * Interop: our UAC INVITE answers a 407 Proxy-Authenticate from Debian's Kamailio (SHA-256 and
 * MD5, qop=auth, RFC 3261 22.3, RFC 8760), which then relays the call (Record-Route) to a callee.
 */
import { describe, expect, it } from 'vitest';
import { parseDigestHeader, SipFailure } from '../../sip/index.ts';
import { kamailioInstalled, kamailioTestScope } from './kamailio-peer.ts';
import { SDP_A, SDP_B } from './helpers.ts';

const { kamailio: peer, sipStack } = kamailioTestScope();

describe.skipIf(!kamailioInstalled)('SipStack UAC INVITE → Kamailio 407 → callee', () => {
  it.each(['SHA-256', 'MD5'] as const)('answers a %s Proxy-Authenticate and the relayed call is answered', async (alg) => {
    const { s: callee } = await sipStack();
    callee.on('invite', (inv) => void inv.accept({ sdp: SDP_B }).catch(() => undefined));
    const k = await peer({ algorithm: alg, password: 'pw-gw', uasUri: `sip:127.0.0.1:${callee.port}` });
    const { s, sent } = await sipStack();
    const out = s.invite({ requestUri: `sip:room@127.0.0.1:${k.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
      credentials: (realm) => (realm === '127.0.0.1' ? { username: 'gw', password: 'pw-gw' } : undefined) });
    const dialog = await out.result.catch((e: SipFailure) => { throw new Error(`${e.status} ${e.message}\n${k.log()}`); });
    const invites = sent.filter((r) => r.method === 'INVITE');
    const creds = parseDigestHeader(invites.at(-1)!.headers.get('proxy-authorization') ?? '');
    expect(creds?.params.get('algorithm')).toBe(alg);
    expect(creds?.params.get('qop')).toBe('auth');
    expect(invites.at(-1)!.cseq.seq).toBe(invites[0].cseq.seq + 1);
    expect(dialog.answerSdp).toBe(SDP_B); // the callee's answer, relayed by Kamailio
    await dialog.bye();
  });

  it('wrong password: the second 407 fails the call', async () => {
    const k = await peer({ algorithm: 'SHA-256', password: 'pw-gw', uasUri: 'sip:127.0.0.1:9' }); // never relayed
    const { s, sent } = await sipStack();
    const out = s.invite({ requestUri: `sip:room@127.0.0.1:${k.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
      credentials: { username: 'gw', password: 'nope' } });
    const err = await out.result.catch((e: unknown) => e);
    expect((err as SipFailure).status).toBe(407);
    expect(sent.filter((r) => r.method === 'INVITE')).toHaveLength(2);
  });
});

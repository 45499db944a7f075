/** Digest auth of INVITE end to end on loopback: our UAS challenges (stack authorizer), our UAC answers (RFC 3261 22.2-22.3). */
import { afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator, SipFailure, SipStack, type SipRequest } from '../../sip/index.ts';
import { captureLogger, FAST_TIMERS, SDP_A, SDP_B } from './helpers.ts';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function stack() {
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: FAST_TIMERS, transports: ['udp'] });
  open.push(s);
  return s;
}

async function challengingUas(proxy = false) {
  const uas = await stack();
  const auth = new DigestAuthenticator({ realm: 'trunk.test', lookupPassword: (u) => (u === 'gw' ? 'pw' : undefined), proxy });
  const seen: SipRequest[] = [];
  uas.setRequestAuthorizer((req) => {
    seen.push(req);
    return req.method === 'INVITE' ? auth.authorize(req) : { allow: true };
  });
  uas.on('invite', (inv) => void inv.accept({ sdp: SDP_B }));
  return { uas, seen };
}

describe('INVITE with digest authentication', () => {
  it.each([false, true])('UAC answers a %s challenge once: same Call-ID and From tag, CSeq+1, new branch', async (proxy) => {
    const { uas, seen } = await challengingUas(proxy);
    const uac = await stack();
    const out = uac.invite({ requestUri: `sip:room@127.0.0.1:${uas.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
      credentials: (realm) => (realm === 'trunk.test' ? { username: 'gw', password: 'pw' } : undefined) });
    const dialog = await out.result;
    expect(dialog.remoteSdp).toContain('40002');
    expect(seen).toHaveLength(2);
    const [first, second] = seen;
    expect(second.callId).toBe(first.callId);
    expect(second.from.params.get('tag')).toBe(first.from.params.get('tag'));
    expect(second.cseq.seq).toBe(first.cseq.seq + 1);
    expect(second.topVia.params.get('branch')).not.toBe(first.topVia.params.get('branch'));
    expect(second.headers.has(proxy ? 'proxy-authorization' : 'authorization')).toBe(true);
    expect(uas.authenticatedUser(second)).toBe('gw');
    expect(uas.authenticatedUser(first)).toBeUndefined();
    await dialog.bye();
  });

  it('without credentials the 401 fails the call', async () => {
    const { uas } = await challengingUas();
    const uac = await stack();
    const out = uac.invite({ requestUri: `sip:room@127.0.0.1:${uas.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A });
    await expect(out.result).rejects.toMatchObject({ status: 401 });
  });

  it('wrong credentials are tried once, then the call fails with 401 (no loop)', async () => {
    const { uas, seen } = await challengingUas();
    const uac = await stack();
    const out = uac.invite({ requestUri: `sip:room@127.0.0.1:${uas.port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
      credentials: { username: 'gw', password: 'nope' } });
    const err = await out.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipFailure);
    expect((err as SipFailure).status).toBe(401);
    expect(seen).toHaveLength(2);
  });
});

/** Interop: our UAC answers the 401 of a real SIPp UAS, which checks the digest with its own verifyauth (RFC 3261 22.2). */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DigestAuthenticator, SipFailure, SipStack, type SipRequest } from '../../sip/index.ts';
import { captureLogger, SDP_A, SDP_B } from './helpers.ts';
import { freePort, killAllSipp, runSipp, waitForTcpListener } from './sipp.ts';

const scenario = fileURLToPath(new URL('../sipp/auth-uas-challenge.xml', import.meta.url));
const uacScenario = fileURLToPath(new URL('../sipp/auth-uac-invite.xml', import.meta.url));
const TIMERS = { t1Ms: 50, t2Ms: 400, t4Ms: 200, tdMs: 500 }; // T1 matches the scenario's retrans="50"
const stacks: SipStack[] = [];

afterEach(async () => {
  killAllSipp();
  while (stacks.length > 0) await stacks.pop()!.close();
});
afterAll(() => killAllSipp());

async function startStack(): Promise<SipStack> {
  const s = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, logger: captureLogger(), timers: TIMERS });
  stacks.push(s);
  return s;
}

describe('SipStack UAC → SIPp UAS challenging INVITE with 401', () => {
  it.each([['UDP', 'u1', 'udp'], ['TCP', 't1', 'tcp']] as const)('over %s: re-sends with MD5 credentials, SIPp verifies them, call up and BYE', async (_n, t, transport) => {
    const stack = await startStack();
    const port = await freePort();
    const { done } = runSipp(['-sf', scenario, '-p', String(port), '-t', t, '-m', '2']);
    if (transport === 'tcp') await waitForTcpListener(port);
    for (let i = 0; i < 2; i++) {
      const uri = `sip:room@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
      const out = stack.invite({ requestUri: uri, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
        credentials: (realm) => (realm === 'sipp.test' ? { username: 'gw', password: 'gw-secret' } : undefined) });
      const dialog = await out.result;
      expect(dialog.answerSdp).toContain('m=audio');
      await dialog.bye();
    }
    const r = await done;
    expect(r.code, r.output.slice(-2500)).toBe(0);
    expect(r.successful).toBe(2);
  });

  it('wrong password: SIPp refuses the credentials with 403 and the call fails', async () => {
    const stack = await startStack();
    const port = await freePort();
    const { done } = runSipp(['-sf', scenario, '-p', String(port), '-t', 'u1', '-m', '1']);
    const out = stack.invite({ requestUri: `sip:room@127.0.0.1:${port}`, fromUri: 'sip:gw@127.0.0.1', sdp: SDP_A,
      credentials: { username: 'gw', password: 'not-it' } });
    const err = await out.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipFailure);
    expect((err as SipFailure).status).toBe(403);
    const r = await done;
    expect(r.code, r.output.slice(-2500)).toBe(0);
  });
});

describe('SIPp UAC → SipStack UAS challenging INVITE with 401 (stack request authorizer)', () => {
  it.each([['UDP', 'u1'], ['TCP', 't1']] as const)('over %s: SIPp answers the MD5 challenge, the call is accepted and ended', async (_n, t) => {
    const stack = await startStack();
    // SIPp answers MD5 only (SHA-256 is covered against Kamailio) and signs uri="sip:host:port"
    // whatever the Request-URI: the digest-uri check is off for it.
    const auth = new DigestAuthenticator({ realm: 'roomgate.test', algorithms: ['MD5'], checkDigestUri: false,
      lookupPassword: (u) => (u === 'sipp' ? 'sipp-pw' : undefined) });
    const challenged: SipRequest[] = [];
    stack.setRequestAuthorizer((req) => {
      const d = auth.authorize(req);
      if (!d.allow) challenged.push(req);
      return d;
    });
    const accepted: string[] = [];
    stack.on('invite', (inv) => {
      accepted.push(inv.callId);
      void inv.accept({ sdp: SDP_B }).catch(() => undefined);
    });
    const { done } = runSipp(['-sf', uacScenario, `127.0.0.1:${stack.port}`, '-t', t, '-s', 'sipp', '-au', 'sipp', '-ap', 'sipp-pw', '-m', '3', '-r', '10']);
    const r = await done;
    expect(r.code, r.output.slice(-2500)).toBe(0);
    expect(r.successful).toBe(3);
    expect(accepted).toHaveLength(3);
    expect(challenged.map((c) => c.callId).sort()).toEqual([...accepted].sort());
  });
});

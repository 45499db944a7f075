// Issue #3 security with real peers: a trunk that requires digest auth (RFC 3261 22, via
// sip/auth) admits baresip once it answers the 401 with its credentials; dial-out through a trunk
// whose peer challenges answers the challenge with the trunk's credentials.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { startAdminApi } from '../../gateway/admin-api.ts';
import type { DialOutcome } from '../../gateway/outbound-call.ts';
import { DigestAuthenticator, SipStack, type Dialog, type IncomingInvite } from '../../sip/index.ts';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { capturingLogger, startHarness, type Harness } from './harness.ts';
import { audioOffer, RawSipClient } from './raw-sip.ts';

const TOKEN = randomBytes(24).toString('hex');
let h: Harness;
let peer: SipStack;
let admin: { port: number; close(): Promise<void> };
const baresips: Baresip[] = [];
const peerInvites: IncomingInvite[] = [];
const peerDialogs: Dialog[] = [];

beforeAll(async () => {
  // The far end of trunk `secure`: a SIP stack that challenges every INVITE in realm "peer".
  peer = await SipStack.start({ bindAddress: '127.0.0.1', port: 0, transports: ['udp'], logger: winston.createLogger({ silent: true }) });
  const authenticator = new DigestAuthenticator({ realm: 'peer', lookupPassword: (user) => (user === 'gw' ? 'trunk-pw' : undefined) });
  peer.setRequestAuthorizer((req) => authenticator.authorize(req));
  peer.on('invite', (invite) => {
    peerInvites.push(invite);
    const sdp = audioOffer(4002, '0').replace('o=probe', 'o=peer');
    invite.accept({ sdp }).then((d) => peerDialogs.push(d), () => undefined);
  });
  h = await startHarness({
    mediaPorts: { min: 44000, max: 44999 },
    yaml: [
      'trunks:',
      '  - name: pbx',
      '    inbound: { sources: [127.0.0.1/32], realm: roomgate, users: [{ username: roomauth, password: s3cret }], algorithms: [MD5] }',
      '  - name: secure',
      `    outbound: { host: 127.0.0.1, port: ${peer.port}, credentials: { username: gw, password: trunk-pw, realm: peer }, codecs: { audio: [PCMU], video: [] } }`,
      "    permittedNumbers: ['.*']",
    ].join('\n'),
  });
  admin = await startAdminApi(h.gateway, { bind: '127.0.0.1', port: 0, token: TOKEN, logger: capturingLogger(h.logs) });
});

afterAll(async () => {
  for (const b of baresips) await b.stop().catch(() => undefined);
  await admin?.close();
  await h?.close();
  await peer?.close();
});

describe('inbound digest auth on a trunk', () => {
  it('an INVITE without credentials is challenged with 401 in the trunk realm', async () => {
    const probe = await RawSipClient.open();
    try {
      const inv = probe.invite({ ruri: h.dialUri('demo'), sdp: audioOffer(4000, '0') });
      await probe.send(inv.text, h.sipPort);
      const res = await probe.finalResponse(inv.callId);
      expect(res.status).toBe(401);
      expect(res.header('www-authenticate')).toMatch(/^Digest .*realm="roomgate"/);
      await probe.send(probe.ackFor(inv.text, res), h.sipPort);
      expect(h.gateway.stats().activeCalls).toBe(0);
    } finally {
      probe.close();
    }
  });

  it('baresip answers the challenge with its password and joins the meeting through the trunk', async () => {
    const room = await startBaresip({ user: 'roomauth', codecs: ['PCMU/8000/1'], extraAccountParams: { auth_pass: 's3cret' }, timeoutMs: 20_000 });
    baresips.push(room);
    await room.dial(h.dialUri('demo'));
    await room.waitFor('CALL_ESTABLISHED');
    // 'active' once the gateway has the ACK, which baresip sends as it reports the call established
    await expect.poll(() => h.gateway.activeCalls(), { timeout: 5000 }).toEqual([expect.objectContaining({ trunk: 'pbx', state: 'active' })]);
    await room.hangup();
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });

  it('a wrong password is refused and logged once', async () => {
    const room = await startBaresip({ user: 'roomauth', codecs: ['PCMU/8000/1'], extraAccountParams: { auth_pass: 'wrong' }, timeoutMs: 20_000 });
    baresips.push(room);
    await room.dial(h.dialUri('demo'));
    const closed = await room.waitFor('CALL_CLOSED');
    expect(String(closed.param)).toMatch(/401|403|Unauthorized|authentication/i);
    expect(h.logs.filter((l) => l.message === 'digest authentication failed').length).toBeGreaterThanOrEqual(1);
    expect(h.gateway.stats().activeCalls).toBe(0);
  });
});

describe('dial-out through a trunk that challenges', () => {
  it('answers the 401 with the trunk credentials and the call is answered', async () => {
    const res = await fetch(`http://127.0.0.1:${admin.port}/api/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ meeting: 'demo', to: 'sip:room7@10.1.1.5', trunk: 'secure' }),
    });
    const outcome = (await res.json()) as DialOutcome;
    expect(res.status, JSON.stringify(outcome)).toBe(200);
    expect(outcome).toMatchObject({ status: 'answered', trunk: 'secure' });
    expect(peerInvites).toHaveLength(1);
    expect(peerInvites[0]!.request.headers.get('authorization')).toMatch(/username="gw".*realm="peer"|realm="peer".*username="gw"/);
    expect(peerInvites[0]!.toUri).toContain('sip:room7@10.1.1.5');

    const hangup = await fetch(`http://127.0.0.1:${admin.port}/api/calls/${outcome.callId}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(hangup.status).toBe(204);
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => peer.stats().dialogs, { timeout: 5000 }).toBe(0);
  });
});

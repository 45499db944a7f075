// Issue #3: SIP over TLS with an independent peer. baresip (libre's TLS, given the test CA with
// sip_cafile) dials the gateway on its TLS port; the call joins the meeting
// and carries the tone both ways, like the UDP calls of #2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBaresip, type Baresip } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { freeSipPort } from '../helpers/processes.ts';
import { dominantFrequency } from '../helpers/spectrum.ts';
import { makeTestCerts, type TestCerts } from '../fixtures/tls/make-certs.ts';
import { startHarness, type Harness } from './harness.ts';

const ROOM = 'secure';
let h: Harness;
let certs: TestCerts;
let tlsPort: number;
let alice: Participant;
let room: Baresip;

beforeAll(async () => {
  certs = makeTestCerts();
  tlsPort = await freeSipPort();
  h = await startHarness({
    mediaPorts: { min: 43300, max: 43399 },
    sip: `tls: { port: ${tlsPort}, certFile: "${certs.certFile}", keyFile: "${certs.keyFile}", caFile: "${certs.caFile}" }`,
  });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880, video: false });
});

afterAll(async () => {
  await room?.stop().catch(() => undefined);
  await alice?.close();
  await h?.close();
  certs?.remove();
});

describe('baresip over SIP/TLS', () => {
  it('joins the meeting through the TLS transport', async () => {
    room = await startBaresip({ timeoutMs: 20_000, tone: 440, codecs: ['PCMU/8000/1'], user: 'tls-room', extraConfig: { sip_cafile: certs.caFile } });
    await room.dial(`sip:${ROOM}@127.0.0.1:${tlsPort};transport=tls`);
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer('tls-room');
    expect(h.gateway.sipTransportStats().connections.tls).toBeGreaterThan(0);
  });

  it('carries the tone both ways', async () => {
    const hz = await alice.dominantFrequencyFrom('tls-room');
    expect(hz).toBeGreaterThan(435);
    expect(hz).toBeLessThan(445);
    const heard = await room.waitForReceivedAudio(3);
    const rx = dominantFrequency(heard.samples.subarray(heard.sampleRate), heard.sampleRate);
    expect(rx).toBeGreaterThan(875);
    expect(rx).toBeLessThan(885);
  });

  it('hangs up cleanly over TLS', async () => {
    await room.hangup();
    await alice.waitForPeerGone('tls-room');
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
    await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
  });
});


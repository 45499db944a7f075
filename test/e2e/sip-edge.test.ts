// Issue #2 acceptance: what a gateway answers when a call cannot be placed, and how it survives bad
// input on its SIP port (real baresip for the call that must still succeed afterwards).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.ts';
import { startBaresip } from '../helpers/baresip.ts';
import { freeTcpPort } from '../helpers/processes.ts';
import { startHarness, type Harness } from './harness.ts';
import { audioOffer, RawSipClient } from './raw-sip.ts';

let h: Harness;
let probe: RawSipClient;

beforeAll(async () => {
  h = await startHarness({ mediaPorts: { min: 43000, max: 43999 } });
  probe = await RawSipClient.open();
});

afterAll(async () => {
  probe?.close();
  await h?.close();
});

function warningsFrom(port: number): string[] {
  return h.logs.filter((l) => l.level === 'warn' && l['port'] === port).map((l) => l.message);
}

describe('calls that cannot be placed get the right final response', () => {
  it('an offer without a supported codec (G.729 only; G.722 is supported) gets 488 with a Warning (RFC 3261 21.4.26, 20.43)', async () => {
    const inv = probe.invite({ ruri: h.dialUri('demo'), sdp: audioOffer(4000, '18\r\na=rtpmap:18 G729/8000') });
    await probe.send(inv.text, h.sipPort);
    const res = await probe.finalResponse(inv.callId);
    await probe.send(probe.ackFor(inv.text, res), h.sipPort);
    expect(res.status).toBe(488);
    expect(res.header('warning')).toMatch(/^305 roomgate ".*G729.*"$/);
  });

  it('a number that no dial plan rule matches gets 404', async () => {
    const inv = probe.invite({ ruri: `sip:no%20such%20room!@127.0.0.1:${h.sipPort}`, sdp: audioOffer(4000, '0') });
    await probe.send(inv.text, h.sipPort);
    const res = await probe.finalResponse(inv.callId);
    await probe.send(probe.ackFor(inv.text, res), h.sipPort);
    expect(res.status).toBe(404);
  });

  it('a meeting that cannot be reached gets 503 with Retry-After, not a hang, and leaks nothing', async () => {
    const closedPort = await freeTcpPort();
    h.gateway.applyConfig(parseConfig(`meeting: { url: "ws://127.0.0.1:${closedPort}/ws" }`));
    try {
      const inv = probe.invite({ ruri: h.dialUri('demo'), sdp: audioOffer(4000, '0') });
      await probe.send(inv.text, h.sipPort);
      const res = await probe.finalResponse(inv.callId);
      await probe.send(probe.ackFor(inv.text, res), h.sipPort);
      expect(res.status).toBe(503);
      expect(res.header('retry-after')).toBe('30');
      expect(h.gateway.stats().activeCalls).toBe(0);
      await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
    } finally {
      h.gateway.applyConfig(h.config);
    }
  });
});

describe('bad input on the SIP port', () => {
  it('drops random datagrams, logging each once', async () => {
    const noise = await RawSipClient.open();
    try {
      for (let i = 0; i < 5; i++) await noise.send(randomBytes(40 + i * 50), h.sipPort);
      await expect.poll(() => warningsFrom(noise.port).length, { timeout: 5000 }).toBe(5);
      expect(new Set(warningsFrom(noise.port))).toEqual(new Set(['sip message dropped']));
    } finally {
      noise.close();
    }
  });

  it('answers a truncated INVITE with 400 and logs it once', async () => {
    const bad = await RawSipClient.open();
    try {
      const sdp = audioOffer(4000, '0');
      const inv = bad.invite({ ruri: h.dialUri('demo'), sdp: sdp.slice(0, 30), contentLength: sdp.length });
      await bad.send(inv.text, h.sipPort);
      const res = await bad.finalResponse(inv.callId);
      expect(res.status).toBe(400);
      await expect.poll(() => warningsFrom(bad.port).length, { timeout: 5000 }).toBe(1);
      expect(h.gateway.stats().activeCalls).toBe(0);
    } finally {
      bad.close();
    }
  });

  it('a call placed right after still succeeds', async () => {
    const room = await startBaresip({ tone: 440, codecs: ['PCMU/8000/1'], user: 'after-noise', timeoutMs: 20_000 });
    try {
      await room.dial(h.dialUri('demo'));
      await room.waitFor('CALL_ESTABLISHED');
      expect(h.gateway.stats().activeCalls).toBe(1);
      await room.hangup();
      await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
      await expect.poll(() => h.gateway.stats().mediaPortsInUse, { timeout: 5000 }).toBe(0);
    } finally {
      await room.stop();
    }
  });
});

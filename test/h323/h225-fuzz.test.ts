// Mutated Setups against the listener: whatever arrives, the answer is a call (rejected here),
// a ReleaseComplete or a Status, the connection ends, and nothing leaks or throws.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeUserInformation, setup } from '../../h323/asn1/index.ts';
import { H323Listener } from '../../h323/h225/index.ts';
import { bearerCapabilityIe, calledPartyNumberIe, encodeQ931, encodeTpkt, MessageType, userUserIe, VIDEO_BEARER } from '../../h323/q931/index.ts';
import { fastStartOlcs, RawPeer, recordingLogger } from './h225-helpers.ts';
import { seededRandom } from './random-values.ts';

let listener: H323Listener;
const log = recordingLogger();
let calls = 0;

beforeAll(async () => {
  listener = await H323Listener.listen({ bindAddress: '127.0.0.1', port: 0, logger: log });
  listener.on('call', (c) => {
    calls++;
    c.reject(21);
  });
});

afterAll(() => listener.close());

function validSetup(): Buffer {
  const uu = setup({ callId: new Uint8Array(16).fill(1), conferenceId: new Uint8Array(16).fill(2), fastStart: fastStartOlcs(), h245Tunnelling: true, destination: [{ dialledDigits: '4321' }] });
  return encodeQ931({ callReference: 5, fromDestination: false, type: MessageType.setup, ies: [bearerCapabilityIe(VIDEO_BEARER), calledPartyNumberIe({ digits: '4321' }), userUserIe(encodeUserInformation(uu))] });
}

describe('fuzz: mutated Setup messages', () => {
  it('1500 mutations: every connection answered and closed, no leak, no exception', async () => {
    const rnd = seededRandom(2250);
    const base = validSetup();
    let answered = 0;
    for (let i = 0; i < 1500; i++) {
      const m = Buffer.from(base);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) m[Math.floor(rnd() * m.length)] ^= 1 << Math.floor(rnd() * 8);
      const bytes = rnd() < 0.2 ? m.subarray(0, Math.floor(rnd() * m.length)) : m;
      const peer = await RawPeer.connect(listener.port);
      peer.socket.write(encodeTpkt(bytes));
      // a Setup that still decodes becomes a call (rejected), anything else an answer from the connection
      const first = await Promise.race([peer.waitFor(1).then(() => true, () => false), peer.closed.then(() => false)]);
      if (first) answered++;
      peer.socket.end();
      await peer.closed;
    }
    await vi.waitFor(() => expect(listener.stats()).toEqual({ connections: 0, calls: 0 }), { timeout: 5000, interval: 20 });
    expect(answered).toBe(1500); // every input got a Q.931 answer before the close
    expect(calls).toBeGreaterThan(0);
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 120_000);
});

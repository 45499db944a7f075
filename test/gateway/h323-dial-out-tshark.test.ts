// tshark reads a gateway H.323 dial-out (issue #5): the Setup the gateway sends to an answering
// room (gateway/h323/room-endpoint.ts H323RoomListener) is captured live on loopback; the Q.931
// and H.225.0 dissectors show the called h323-ID, the six fastStart proposals (µ-law, A-law,
// G.722 pairs, channels 101-106) with the gateway's RTP/RTCP ports, tunnelling offered, the
// room's Connect with the two accepted ones, and no expert warning or error.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../e2e/harness.ts';
import { H323RoomListener } from '../helpers/h323-room.ts';
import { PI_CHAT, PI_WARN, protocolExperts, TsharkCapture } from '../helpers/tshark-capture.ts';

let h: Harness;
let capture: TsharkCapture;
let listener: H323RoomListener;
let gatewayAudioPort = 0;

beforeAll(async () => {
  listener = await H323RoomListener.listen({ name: 'tshark-room', toneHz: 440 });
  h = await startHarness({
    mediaPorts: { min: 49070, max: 49089 },
    yaml: "h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 }, dialOut: { permitted: ['room-1@127[.]0[.]0[.]1:[0-9]+'] } }",
  });
  const port = listener.port;
  capture = await TsharkCapture.start(`tcp port ${port}`, 'roomgate-h323-dial-');
  try {
    const answered = listener.nextRoom();
    const outcome = await h.gateway.dialOut({ meeting: 'demo', to: `h323:room-1@127.0.0.1:${port}` });
    expect(outcome.status, outcome.reason).toBe('answered');
    const room = await answered;
    await vi.waitFor(() => expect(room.session?.capabilitiesAcked).toBe(true), { timeout: 10_000 });
    gatewayAudioPort = h.logs.find((l) => l.message === 'h323 dial-out: Setup')!.audioPort as number;
    const released = once(room.call as never, 'released');
    room.hangup();
    await released;
    await vi.waitFor(() => expect(h.gateway.stats().activeCalls).toBe(0), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300)); // the gateway's FIN after the room's ReleaseComplete
  } finally {
    await capture.stop(); // its last sentinel: everything before is in the file
  }
}, 60_000);

afterAll(async () => {
  await listener?.close();
  await h?.close();
  capture?.remove();
});

const fields = (filter: string, names: string[]) => capture.fields(filter, names);

describe('a gateway H.323 dial-out, read by tshark', () => {
  it('the Setup carries the called h323-ID, six fastStart proposals (channels 101-106) and offers tunnelling', () => {
    const rows = fields(`q931.message_type == 0x05 && tcp.dstport == ${listener.port}`, ['h245.forwardLogicalChannelNumber', 'h225.h245Tunnelling', 'h225.h323_ID', 'h245.tsapIdentifier']);
    expect(rows).toHaveLength(1);
    const [channels, tunnelling, ids, tsaps] = rows[0]!;
    expect(channels!.split(',').map(Number).sort((a, b) => a - b)).toEqual([101, 102, 103, 104, 105, 106]);
    expect(tunnelling).toBe('1');
    expect(ids).toContain('room-1');
    const ports = tsaps!.split(',').map(Number);
    expect(ports).toContain(gatewayAudioPort); // room→gateway proposals: our RTP
    expect(ports).toContain(gatewayAudioPort + 1); // and RTCP
  });

  it('the room\'s Connect carries two accepted OLCs', () => {
    const rows = fields(`q931.message_type == 0x07 && tcp.srcport == ${listener.port}`, ['h245.forwardLogicalChannelNumber']);
    expect(rows).toHaveLength(1);
    expect(rows[0]![0]!.split(',')).toHaveLength(2);
  });

  it('no expert warning or error on the call (TCP sequence analysis aside)', () => {
    const experts = protocolExperts(capture.experts('tcp'));
    expect(experts.filter((x) => x.severity >= PI_WARN)).toEqual([]);
    expect(experts.filter((x) => x.severity > PI_CHAT)).toEqual([]);
  });
});

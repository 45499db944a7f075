// tshark reads a gateway H.323 call (issue #5): the H.225.0 call signalling of a fastStart call
// with tunnelled H.245 toward the gateway's listener is captured live on loopback; the Q.931,
// H.225.0 and H.245 dissectors show our Connect carrying the accepted fastStart OLCs with the
// gateway's RTP/RTCP ports and our channel number, the tunnelled H.245 of both sides, and no expert
// warning or error.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, type Harness } from '../e2e/harness.ts';
import { H323Room } from '../helpers/h323-room.ts';
import { PI_CHAT, PI_WARN, protocolExperts, TsharkCapture } from '../helpers/tshark-capture.ts';

let h: Harness;
let capture: TsharkCapture;
let gatewayAudioPort = 0;

beforeAll(async () => {
  h = await startHarness({ mediaPorts: { min: 48870, max: 48889 }, yaml: 'h323: { signalling: { enabled: true, bind: 127.0.0.1, port: 0 } }' });
  const port = h.gateway.h323Port!;
  capture = await TsharkCapture.start(`tcp port ${port}`, 'roomgate-h323-gw-');
  try {
    const room = await H323Room.dial({ gatewayPort: port, mode: 'fastStart', calledAliases: [{ dialledDigits: '5555' }] });
    await vi.waitFor(() => expect(room.session?.capabilitiesAcked).toBe(true), { timeout: 10_000 });
    gatewayAudioPort = room.gatewayAudio!.port;
    room.sendUserInput('5');
    await vi.waitFor(() => expect(h.gateway.activeCalls()[0]?.dtmf?.lastDigits).toBe('5'), { timeout: 5000 });
    const released = once(room.call as never, 'released');
    room.hangup();
    await released;
    await vi.waitFor(() => expect(h.gateway.stats().activeCalls).toBe(0), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300)); // the gateway's FIN after our ReleaseComplete
  } finally {
    await capture.stop(); // its last sentinel: everything before is in the file
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
  capture?.remove();
});

const fields = (filter: string, names: string[]) => capture.fields(filter, names);

describe('a gateway H.323 call, read by tshark', () => {
  it('Connect from the gateway carries the two accepted fastStart OLCs: our RTP/RTCP ports and our channel number 101', () => {
    const rows = fields(`q931.message_type == 0x07 && tcp.srcport == ${h.gateway.h323Port}`, ['h245.forwardLogicalChannelNumber', 'h245.tsapIdentifier', 'h225.h245Tunnelling']);
    expect(rows).toHaveLength(1);
    const [channels, tsaps, tunnelling] = rows[0]!;
    expect(channels!.split(',').map(Number).sort((a, b) => a - b)).toEqual([1, 101]);
    const ports = tsaps!.split(',').map(Number);
    expect(ports).toContain(gatewayAudioPort);
    expect(ports).toContain(gatewayAudioPort + 1);
    expect(tunnelling).toBe('1');
  });

  it('the tunnelled H.245 both ways decodes: TCS and MSD answered by the gateway, its own TCS, the room\'s userInput "5"', () => {
    const rows = fields('h245', ['tcp.srcport', 'h245.request', 'h245.response', 'h245.indication', 'h245.alphanumeric']);
    // H.245 CHOICE indexes as tshark prints them: request 1 masterSlaveDetermination, 2 terminalCapabilitySet;
    // response 1 masterSlaveDeterminationAck, 3 terminalCapabilitySetAck; indication 13 userInput
    const side = (gw: boolean, col: number) => rows.filter((r) => (Number(r[0]) === h.gateway.h323Port) === gw).flatMap((r) => (r[col] ? r[col]!.split(',') : []));
    // (the gateway sends no MSD of its own when the room's arrived first, the usual order here)
    expect(side(true, 1)).toContain('2');
    expect(side(true, 2)).toEqual(expect.arrayContaining(['1', '3']));
    expect(side(false, 1).sort()).toEqual(['1', '2']);
    expect(side(false, 3)).toEqual(['13']);
    expect(side(false, 4)).toEqual(['5']);
  });

  it('no expert warning or error on the call (TCP sequence analysis aside)', () => {
    const experts = protocolExperts(capture.experts('tcp'));
    expect(experts.filter((x) => x.severity >= PI_WARN)).toEqual([]);
    expect(experts.filter((x) => x.severity > PI_CHAT)).toEqual([]);
  });
});

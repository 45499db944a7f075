// Issue #4 acceptance 5: DTMF both ways. A room terminal's keys reach the meeting once each, in
// order (baresip: RFC 4733; SIPp: SIP INFO application/dtmf-relay); a key sent from the
// browser reaches the room as RFC 4733 (baresip) or, without telephone-event, as INFO (SIPp).
// baresip 1.0 sends DTMF only as RFC 4733 events (no INFO mode: no dtmfmode account parameter in
// this version), so the INFO direction room → meeting is driven by SIPp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startBaresip, type Baresip, type BaresipEvent } from '../helpers/baresip.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';
import { freeSipPort } from '../helpers/processes.ts';
import { killAllSipp, runSipp } from '../sip/sipp.ts';
import { startHarness, type Harness } from './harness.ts';

const ROOM = 'dtmf';
let h: Harness;
let alice: Participant;
let room: Baresip | undefined;

/** The keys Alice's page has received so far, as `name:digit`. */
async function digitsSeenBy(p: Participant): Promise<string[]> {
  return p.page.evaluate(() => window.roomgateTest!.dtmfEvents.map((e) => `${e.displayName}:${e.digit}`));
}

async function waitForDigitCount(p: Participant, n: number): Promise<void> {
  await p.page.waitForFunction((count) => window.roomgateTest!.dtmfEvents.length >= count, n, { timeout: 20_000 });
}

beforeAll(async () => {
  h = await startHarness({ mediaPorts: { min: 47200, max: 47399 } });
  alice = await openParticipant({ meetingUrl: h.meeting.url, room: ROOM, name: 'Alice', tone: 880, video: false });
});

afterAll(async () => {
  killAllSipp();
  await room?.stop().catch(() => undefined);
  await alice?.close();
  await h?.close();
});

describe('baresip (RFC 4733 telephone-event) in a meeting', () => {
  it('negotiates telephone-event and joins', async () => {
    room = await startBaresip({ timeoutMs: 20_000, tone: 440, codecs: ['PCMU/8000/1'], user: 'room-dtmf' });
    await room.dial(h.dialUri(ROOM));
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer('room-dtmf');
    const call = h.gateway.activeCalls()[0]!;
    expect(call.dtmf?.rfc4733.payloadType).toEqual(expect.any(Number));
  });

  it('keys 1 5 9 # pressed on the room reach the browser once each, in order', async () => {
    const keys = ['1', '5', '9', '#'];
    for (const [i, key] of keys.entries()) {
      await room!.command('sndcode', key); // key down, then key release (RFC 4733 end)
      await waitForDigitCount(alice, i + 1); // the next key only once this one arrived
    }
    // Give stray duplicates (retransmitted end packets, a late timeout) the chance to show up:
    // wait for the gateway to have seen every end retransmission of the last key.
    await expect.poll(() => h.gateway.activeCalls()[0]?.dtmf?.rfc4733.received.duplicates ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(await digitsSeenBy(alice)).toEqual(keys.map((k) => `room-dtmf:${k}`));
    const call = h.gateway.activeCalls()[0]!;
    expect(call.dtmf?.fromRoom).toMatchObject({ rfc4733: 4, info: 0 });
    expect(call.dtmf?.rfc4733.received.digits).toBe(4);
    const rooms = (await (await fetch(new URL('/api/rooms', h.meeting.url))).json()) as { roomId: string; dtmf: { received: number; lastDigits: string } }[];
    expect(rooms.find((r) => r.roomId === ROOM)?.dtmf).toMatchObject({ received: 4, lastDigits: '159#' });
  });

  it('a key sent from the browser reaches baresip as one RFC 4733 event', async () => {
    const starts: BaresipEvent[] = [];
    const onEvent = (e: BaresipEvent): void => void (e.type === 'CALL_DTMF_START' && starts.push(e));
    room!.events.on('event', onEvent);
    try {
      await alice.page.evaluate(() => window.roomgateTest!.sendDtmf('room-dtmf', '7', 200));
      const end = await room!.waitFor('CALL_DTMF_END', { timeoutMs: 10_000 });
      expect(end.type).toBe('CALL_DTMF_END');
      expect(starts.map((e) => e.param)).toEqual(['7']);
      const call = h.gateway.activeCalls()[0]!;
      expect(call.dtmf?.toRoom).toMatchObject({ rfc4733: 1, info: 0 });
      await expect.poll(() => h.gateway.activeCalls()[0]?.dtmf?.rfc4733.digitsSent ?? 0, { timeout: 5000 }).toBe(1);
      expect(starts).toHaveLength(1);
    } finally {
      room!.events.off('event', onEvent);
    }
  });

  it('hangs up cleanly', async () => {
    await room!.hangup();
    await alice.waitForPeerGone('room-dtmf');
    await room!.stop();
    room = undefined;
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });
});

describe('SIPp room without telephone-event (SIP INFO application/dtmf-relay)', () => {
  it('INFO keys 1 5 9 # reach the browser once each, in order; the browser\'s key reaches SIPp as INFO Signal=7', async () => {
    const before = (await digitsSeenBy(alice)).length;
    const scenario = fileURLToPath(new URL('./scenarios/uac-info-dtmf.xml', import.meta.url));
    const localPort = await freeSipPort(0);
    const sipp = runSipp(['-sf', scenario, '-s', ROOM, `127.0.0.1:${h.sipPort}`, '-p', String(localPort), '-m', '1']);
    await waitForDigitCount(alice, before + 4);
    expect((await digitsSeenBy(alice)).slice(before)).toEqual(['sipp:1', 'sipp:5', 'sipp:9', 'sipp:#']);
    const call = h.gateway.activeCalls()[0]!;
    expect(call.dtmf?.rfc4733.payloadType).toBeUndefined();
    expect(call.dtmf?.fromRoom).toMatchObject({ rfc4733: 0, info: 4 });
    await alice.page.evaluate(() => window.roomgateTest!.sendDtmf('sipp', '7'));
    const result = await sipp.done; // the scenario fails unless the INFO says Signal=7
    expect(result.code, result.output).toBe(0);
    expect((await digitsSeenBy(alice)).length).toBe(before + 4);
    await expect.poll(() => h.gateway.stats().activeCalls, { timeout: 5000 }).toBe(0);
  });
});

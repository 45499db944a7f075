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

describe.each([
  // G.711: telephone-event/8000 on the audio clock, keys both ways as RFC 4733.
  ['PCMU', 'PCMU/8000/1', 'rfc4733'],
  // Opus: baresip pairs opus/48000 with telephone-event/8000; it sends RFC 4733, and gets the
  // meeting's keys as INFO (events on another clock than the audio stream are not sent).
  ['Opus', 'opus/48000/2', 'info'],
] as const)('baresip %s room (sends RFC 4733) in a meeting', (label, codec, toRoomAs) => {
  const user = `room-dtmf-${label.toLowerCase()}`;

  it('negotiates telephone-event and joins', async () => {
    room = await startBaresip({ timeoutMs: 20_000, tone: 440, codecs: [codec], user, verbose: true });
    await room.dial(h.dialUri(ROOM));
    await room.waitFor('CALL_ESTABLISHED');
    await alice.waitForPeer(user);
    const call = h.gateway.activeCalls()[0]!;
    expect(call.dtmf?.rfc4733.payloadType).toEqual(expect.any(Number));
  });

  it('keys 1 5 9 # pressed on the room reach the browser once each, in order', async () => {
    const before = (await digitsSeenBy(alice)).length;
    const keys = ['1', '5', '9', '#'];
    for (const [i, key] of keys.entries()) {
      await room!.command('sndcode', key); // key down, then key release (RFC 4733 end)
      await waitForDigitCount(alice, before + i + 1); // the next key only once this one arrived
    }
    // Give stray duplicates (retransmitted end packets, a late timeout) the chance to show up:
    // wait for the gateway to have seen the end retransmissions of the last key.
    await expect.poll(() => h.gateway.activeCalls()[0]?.dtmf?.rfc4733.received.duplicates ?? 0, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect((await digitsSeenBy(alice)).slice(before)).toEqual(keys.map((k) => `${user}:${k}`));
    expect(await alice.page.textContent('#notice')).toBe(`${user} pressed #`); // the page's notice
    const call = h.gateway.activeCalls()[0]!;
    expect(call.dtmf?.fromRoom).toMatchObject({ rfc4733: 4, info: 0 });
    expect(call.dtmf?.rfc4733.received.digits).toBe(4);
    const rooms = (await (await fetch(new URL('/api/rooms', h.meeting.url))).json()) as { roomId: string; dtmf: { lastDigits: string } }[];
    expect(rooms.find((r) => r.roomId === ROOM)?.dtmf.lastDigits.endsWith('159#')).toBe(true);
  });

  it(`a key sent from the browser reaches baresip once, as ${toRoomAs === 'info' ? 'SIP INFO' : 'RFC 4733'}`, async () => {
    const starts: string[] = [];
    const infoLines: string[] = [];
    const onEvent = (e: BaresipEvent): void => void (e.type === 'CALL_DTMF_START' && starts.push(String(e.param)));
    const onLine = (l: string): void => void (/received DTMF: '7'/.test(l) && infoLines.push(l));
    room!.events.on('event', onEvent);
    room!.events.on('line', onLine);
    try {
      await alice.page.evaluate((name) => window.roomgateTest!.sendDtmf(name, '7', 200), user);
      if (toRoomAs === 'rfc4733') {
        // baresip decodes the events into one key: CALL_DTMF_START '7' … CALL_DTMF_END
        await room!.waitFor('CALL_DTMF_END', { timeoutMs: 10_000 });
        await expect.poll(() => h.gateway.activeCalls()[0]?.dtmf?.rfc4733.digitsSent ?? 0, { timeout: 5000 }).toBe(1);
        expect(starts).toEqual(['7']);
      } else {
        // baresip logs the INFO application/dtmf-relay it answered 200: "call: received DTMF: '7' (duration=200)"
        await expect.poll(() => h.gateway.activeCalls()[0]?.dtmf?.toRoom.info ?? 0, { timeout: 10_000 }).toBe(1);
        await expect.poll(() => infoLines.length, { timeout: 5000 }).toBe(1);
        expect(infoLines[0]).toContain('duration=200');
      }
      const call = h.gateway.activeCalls()[0]!;
      expect(call.dtmf?.toRoom).toEqual(toRoomAs === 'info' ? { rfc4733: 0, info: 1, refused: 0 } : { rfc4733: 1, info: 0, refused: 0 });
    } finally {
      room!.events.off('event', onEvent);
      room!.events.off('line', onLine);
    }
  });

  it('hangs up cleanly', async () => {
    await room!.hangup();
    await alice.waitForPeerGone(user);
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

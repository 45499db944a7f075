// Two real Chromium participants in the embedded meeting: tiles, tone, H.264 video, leave, close.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { openParticipant, type Participant } from '../helpers/browser-participant.ts';

let server: MeetingServer;
let alice: Participant | undefined;
let bob: Participant | undefined;

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await server?.close();
});

describe('meeting page with two Chromium participants', () => {
  it('each participant sees the other one by name', async () => {
    alice = await openParticipant({ meetingUrl: server.url, room: 't1', name: 'Alice' });
    bob = await openParticipant({ meetingUrl: server.url, room: 't1', name: 'Bob', tone: 880, video: false });
    await alice.waitForPeer('Bob');
    await bob.waitForPeer('Alice');
    expect(await alice.page.evaluate(() => window.roomgateTest!.peers())).toEqual(['Bob']);
    expect(await bob.page.evaluate(() => window.roomgateTest!.peers())).toEqual(['Alice']);
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 2, transports: 4 });
  });

  it("Alice hears Bob's 880 Hz tone", async () => {
    const hz = await alice!.dominantFrequencyFrom('Bob');
    expect(hz).toBeGreaterThan(875);
    expect(hz).toBeLessThan(885);
  });

  it("Bob decodes Alice's camera as H.264", async () => {
    await bob!.page.waitForFunction(async () => {
      const s = await window.roomgateTest!.stats();
      return (s.Alice?.video?.framesDecoded ?? 0) >= 30;
    });
    expect(await bob!.framesDecodedFrom('Alice')).toBeGreaterThanOrEqual(30);
    const stats = await bob!.page.evaluate(() => window.roomgateTest!.stats());
    expect(stats.Alice?.video?.codec).toBe('video/H264');
    expect(stats.Alice?.audio?.packetsReceived).toBeGreaterThan(0);
  });

  it('shows a named tile per participant, with video when they send it', async () => {
    const bobTile = await alice!.page.evaluate(() => {
      const tile = document.querySelector('[data-peer-name="Bob"]')!;
      return { caption: tile.querySelector('figcaption')!.textContent, noVideo: tile.classList.contains('no-video') };
    });
    expect(bobTile).toEqual({ caption: 'Bob', noVideo: true });
    await bob!.page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-peer-name="Alice"] video');
      return v !== null && v.videoWidth > 0;
    });
    const shots = process.env.MEETING_SCREENSHOT_DIR;
    if (shots) {
      await alice!.page.screenshot({ path: `${shots}/alice.png` });
      await bob!.page.screenshot({ path: `${shots}/bob.png` });
    }
  });

  it("removes Bob's tile at Alice when Bob leaves", async () => {
    await bob!.close();
    bob = undefined;
    await alice!.waitForPeerGone('Bob');
    expect(await alice!.page.evaluate(() => window.roomgateTest!.peers())).toEqual([]);
    await expect.poll(() => server.stats()).toMatchObject({ rooms: 1, peers: 1, transports: 2, consumers: 0 });
  });

  it('POST /api/rooms/t1/close ends the meeting and frees everything', async () => {
    bob = await openParticipant({ meetingUrl: server.url, room: 't1', name: 'Bob', video: false });
    await alice!.waitForPeer('Bob');
    const res = await fetch(new URL('/api/rooms/t1/close', server.url), { method: 'POST' });
    expect(res.status).toBe(200);
    for (const p of [alice!, bob]) {
      await p.page.waitForFunction(() => window.roomgateTest!.status() === 'The meeting has ended');
      expect(await p.page.evaluate(() => window.roomgateTest!.peers())).toEqual([]);
    }
    expect(server.stats()).toEqual({ rooms: 0, peers: 0, transports: 0, producers: 0, consumers: 0 });
  });
});

// Real Chromium participants in the embedded meeting: tiles, tone, H.264 video, leave, close.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { openParticipant, type Participant, type ParticipantOptions } from '../helpers/browser-participant.ts';

let server: MeetingServer;
const open: Participant[] = [];

beforeAll(async () => {
  server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server?.close();
});

async function join(opts: Omit<ParticipantOptions, 'meetingUrl'>): Promise<Participant> {
  const p = await openParticipant({ meetingUrl: server.url, ...opts });
  open.push(p);
  return p;
}
const peersOf = (p: Participant) => p.page.evaluate(() => window.roomgateTest!.peers());

async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((p) => p.close()));
}

/** POST /api/rooms/:id/close: every page shows the end, and the server holds nothing. */
async function closeRoomAndCheck(roomId: string, participants: Participant[]): Promise<void> {
  const res = await fetch(new URL(`/api/rooms/${roomId}/close`, server.url), { method: 'POST' });
  expect(res.status).toBe(200);
  for (const p of participants) {
    await p.page.waitForFunction(() => window.roomgateTest!.status() === 'The meeting has ended');
    expect(await peersOf(p)).toEqual([]);
  }
  expect(server.stats()).toEqual({ rooms: 0, peers: 0, transports: 0, producers: 0, consumers: 0 });
}

describe('two participants without media (signalling and tiles only)', () => {
  afterEach(closeAll);

  it('show each other by name, drop a tile on leave, end on room close', async () => {
    const ann = await join({ room: 't0', name: 'Ann', audio: false, video: false });
    const ben = await join({ room: 't0', name: 'Ben', audio: false, video: false });
    await ann.waitForPeer('Ben');
    await ben.waitForPeer('Ann');
    expect(await peersOf(ann)).toEqual(['Ben']);
    expect(await peersOf(ben)).toEqual(['Ann']);
    const caption = await ann.page.evaluate(() => document.querySelector('[data-peer-name="Ben"] figcaption')?.textContent);
    expect(caption).toBe('Ben');

    await ben.close();
    await ann.waitForPeerGone('Ben');
    expect(await peersOf(ann)).toEqual([]);
    await expect.poll(() => server.stats()).toMatchObject({ rooms: 1, peers: 1 });

    const cid = await join({ room: 't0', name: 'Cid', audio: false, video: false });
    await ann.waitForPeer('Cid');
    await closeRoomAndCheck('t0', [ann, cid]);
  });
});

describe('active speaker', () => {
  afterEach(closeAll);

  it('highlights the only participant sending sound', async () => {
    const dan = await join({ room: 't2', name: 'Dan', audio: false, video: false });
    await join({ room: 't2', name: 'Cara', tone: 440, video: false });
    await dan.page.waitForSelector('.tile.speaking[data-peer-name="Cara"]');
    expect(await dan.page.locator('.tile.speaking').count()).toBe(1);
  });
});

describe('two participants with media in room t1', () => {
  let alice: Participant;
  let bob: Participant;
  afterAll(closeAll);

  it('each participant sees the other one by name', async () => {
    alice = await join({ room: 't1', name: 'Alice' });
    bob = await join({ room: 't1', name: 'Bob', tone: 880, video: false });
    await alice.waitForPeer('Bob');
    await bob.waitForPeer('Alice');
    expect(await peersOf(alice)).toEqual(['Bob']);
    expect(await peersOf(bob)).toEqual(['Alice']);
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 2, transports: 4, producers: 3 });
  });

  it("Alice hears Bob's 880 Hz tone", async () => {
    const hz = await alice.dominantFrequencyFrom('Bob');
    expect(hz).toBeGreaterThan(875);
    expect(hz).toBeLessThan(885);
  });

  it("Bob decodes Alice's camera as H.264", async () => {
    await bob.page.waitForFunction(async () => {
      const s = await window.roomgateTest!.stats();
      return (s.Alice?.video?.framesDecoded ?? 0) >= 30;
    });
    expect(await bob.framesDecodedFrom('Alice')).toBeGreaterThanOrEqual(30);
    const stats = await bob.page.evaluate(() => window.roomgateTest!.stats());
    expect(stats.Alice?.video?.codec).toBe('video/H264');
    expect(stats.Alice?.audio?.packetsReceived).toBeGreaterThan(0);
  });

  it('shows a named tile per participant, with video when they send it', async () => {
    const bobTile = await alice.page.evaluate(() => {
      const tile = document.querySelector('[data-peer-name="Bob"]')!;
      return { caption: tile.querySelector('figcaption')!.textContent, noVideo: tile.classList.contains('no-video') };
    });
    expect(bobTile).toEqual({ caption: 'Bob', noVideo: true });
    await bob.page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-peer-name="Alice"] video');
      return v !== null && v.videoWidth > 0;
    });
    const shots = process.env.MEETING_SCREENSHOT_DIR;
    if (shots) {
      await alice.page.screenshot({ path: `${shots}/alice.png` });
      await bob.page.screenshot({ path: `${shots}/bob.png` });
    }
  });

  it("removes Bob's tile at Alice when Bob leaves", async () => {
    await bob.close();
    await alice.waitForPeerGone('Bob');
    expect(await peersOf(alice)).toEqual([]);
    await expect.poll(() => server.stats()).toMatchObject({ rooms: 1, peers: 1, transports: 2, consumers: 0 });
  });

  it('POST /api/rooms/t1/close ends the meeting and frees everything', async () => {
    bob = await join({ room: 't1', name: 'Bob', video: false });
    await alice.waitForPeer('Bob');
    await closeRoomAndCheck('t1', [alice, bob]);
  });
});

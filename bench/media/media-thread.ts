/**
 * A bench media thread (threaded-step.ts): opens its share of a step's calls as the gateway's
 * media threads run them, reports their ports, closes them on request. Three kinds of call:
 * - `transcoded`: PCMU room ⇄ Opus meeting, with its meeting's shared mix and jitter buffers,
 *   the meeting leg on a UdpCloudPort (media-audio);
 * - `listen`: a room that only listens to a meeting this thread feeds in-process (one
 *   MeetingFeed per meeting per thread: each thread's legs receive every speaker, as
 *   production's werift legs do), through this thread's shared mix of it (media-listen);
 * - `video`: H.264 passthrough, the meeting leg on a UdpCloudPort (media-video).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MeetingMixHubs, type CallMedia } from '../../bridge/index.ts';
import { MeetingFeed } from './meeting-feed.ts';
import { openCall, openUdpCall, problemsNote, useSharedPorts } from './roomgate-calls.ts';
import { thisThreadEventLoop, type EventLoopWatch } from './steps.ts';
import type { UdpCloudPort } from './udp-cloud-port.ts';

/** One call of the step; `genRoomPort`: the generator's room endpoint (audio or video). */
export type ThreadCall = { genRoomPort: number } & (
  | { kind: 'transcoded'; genCloudPort: number; meeting: string }
  | { kind: 'listen'; meeting: string; speakers: number }
  | { kind: 'video'; genCloudPort: number }
);

/** The ports a call opened: the room's (audio or video) and the meeting leg's, if on UDP. */
export interface OpenedCall { roomPort: number; cloudPort?: number }

/** 'loop-start' has no answer; 'loop-stop' answers with the event-loop delay since 'loop-start'. */
export type ToMediaThread = { op: 'open'; calls: ThreadCall[] } | { op: 'close' } | { op: 'loop-start' } | { op: 'loop-stop' };
export type FromMediaThread = { op: 'opened'; calls: OpenedCall[] } | { op: 'closed'; notes: string } | { op: 'loop'; p99Ms: number; maxMs: number };

const port = parentPort!;
useSharedPorts((workerData as { ports: SharedArrayBuffer }).ports);
const hubs = new MeetingMixHubs();
const feeds = new Map<string, MeetingFeed>();
const calls: CallMedia[] = [];
const clouds: UdpCloudPort[] = [];
let loop: EventLoopWatch | undefined;

function feedOf(meeting: string, speakers: number): MeetingFeed {
  let feed = feeds.get(meeting);
  if (!feed) {
    feed = new MeetingFeed(speakers);
    feeds.set(meeting, feed);
  }
  return feed;
}

async function open(c: ThreadCall): Promise<OpenedCall> {
  if (c.kind === 'listen') {
    const media = await openCall({ audioPort: c.genRoomPort }, feedOf(c.meeting, c.speakers).attach(), hubs.acquire(c.meeting));
    calls.push(media);
    return { roomPort: media.audioPort };
  }
  const video = c.kind === 'video';
  const { media, cloud } = await openUdpCall(video ? { videoPort: c.genRoomPort } : { audioPort: c.genRoomPort }, c.genCloudPort,
    video ? undefined : hubs.acquire(c.meeting));
  calls.push(media);
  clouds.push(cloud);
  return { roomPort: video ? media.videoPort : media.audioPort, cloudPort: cloud.port };
}

port.on('message', (msg: ToMediaThread) => {
  void (async () => {
    if (msg.op === 'loop-start') {
      loop = thisThreadEventLoop();
      loop.start();
    } else if (msg.op === 'loop-stop') {
      const d = (await loop?.stop()) ?? { p99Ms: NaN, maxMs: NaN };
      port.postMessage({ op: 'loop', ...d } satisfies FromMediaThread);
    } else if (msg.op === 'open') {
      const opened: OpenedCall[] = [];
      for (const c of msg.calls) opened.push(await open(c));
      for (const f of feeds.values()) f.start(); // the meeting speaks once its rooms are set up
      port.postMessage({ op: 'opened', calls: opened } satisfies FromMediaThread);
    } else {
      for (const f of feeds.values()) f.stop();
      feeds.clear();
      for (const c of calls.splice(0)) c.close();
      for (const c of clouds.splice(0)) c.close();
      port.postMessage({ op: 'closed', notes: problemsNote() } satisfies FromMediaThread);
    }
  })();
});

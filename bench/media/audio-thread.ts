/**
 * A media thread of the threaded transcoding step (threaded-audio.ts): opens its share of the
 * calls as the gateway's media threads run them (CallMedia with its meeting's shared mix and
 * jitter buffers, the meeting leg on a UdpCloudPort), reports their ports, closes them on request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MeetingMixHubs, type CallMedia } from '../../bridge/index.ts';
import { openCall, problemsNote, useSharedPorts } from './roomgate-calls.ts';
import { UdpCloudPort } from './udp-cloud-port.ts';

export interface ThreadCall {
  /** Generator endpoints: the room's PCMU port and the meeting speaker's Opus port. */
  genRoomPort: number;
  genCloudPort: number;
  meeting: string;
}

export type ToAudioThread = { op: 'open'; calls: ThreadCall[] } | { op: 'close' };
export type FromAudioThread = { op: 'opened'; ports: { audioPort: number; cloudPort: number }[] } | { op: 'closed'; notes: string };

const port = parentPort!;
useSharedPorts((workerData as { ports: SharedArrayBuffer }).ports);
const hubs = new MeetingMixHubs();
const calls: CallMedia[] = [];
const clouds: UdpCloudPort[] = [];

port.on('message', (msg: ToAudioThread) => {
  void (async () => {
    if (msg.op === 'open') {
      const opened: { audioPort: number; cloudPort: number }[] = [];
      for (const c of msg.calls) {
        const cloud = await UdpCloudPort.open();
        clouds.push(cloud);
        cloud.connect(c.genCloudPort);
        const media = await openCall({ audioPort: c.genRoomPort }, cloud, hubs.acquire(c.meeting));
        calls.push(media);
        opened.push({ audioPort: media.audioPort, cloudPort: cloud.port });
      }
      port.postMessage({ op: 'opened', ports: opened } satisfies FromAudioThread);
    } else {
      for (const c of calls.splice(0)) c.close();
      for (const c of clouds.splice(0)) c.close();
      port.postMessage({ op: 'closed', notes: problemsNote() } satisfies FromAudioThread);
    }
  })();
});

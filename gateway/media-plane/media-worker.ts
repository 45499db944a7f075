// Entry of a media worker thread (started by MediaPlane through worker-boot.mjs): one MediaHost
// on the thread's port to the control thread.
import { parentPort, workerData } from 'node:worker_threads';
import { MediaHost } from './media-host.ts';
import type { MediaHostSettings } from './protocol.ts';

if (!parentPort) throw new Error('media-worker.ts runs in a worker thread');
new MediaHost(parentPort, (workerData as { settings: MediaHostSettings }).settings);

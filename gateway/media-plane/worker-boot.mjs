// Boot of a media worker thread: the project runs TypeScript through tsx, whose loader a worker
// does not inherit when the process was started another way (vitest, node + --import): register
// it for this thread, then load the worker's TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./media-worker.ts');

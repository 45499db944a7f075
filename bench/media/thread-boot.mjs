// Boot of a bench media thread: tsx's loader for this thread, then the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./media-thread.ts');

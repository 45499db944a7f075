// The H.323 layers' shared structural logger.
export { silentLogger, type Logger } from '../support.ts';

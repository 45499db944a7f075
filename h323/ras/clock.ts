// The RAS layer's injected clock and logger: the ones all H.323 layers share.
export { systemClock, silentLogger, type Clock, type Logger, type TimerHandle } from '../support.ts';

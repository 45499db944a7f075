// Injected time source for the H.245 timers (T101, T103, T105, T106, T108): the H.323 layers' shared clock.
export { systemClock, type Clock, type TimerHandle } from '../support.ts';

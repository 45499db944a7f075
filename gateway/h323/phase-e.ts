// H.323 8.5 phase E (call termination), steps 1-3 as both call directions run them: our own
// logical channels are closed (H.245 C.4 CloseLogicalChannel) before endSessionCommand.
import type { H245Session } from '../../h323/h245/index.ts';
import type { Logger } from '../logger.ts';

/** How long our CloseLogicalChannels may wait for their Acks before endSessionCommand, ms. */
export const CLC_ACK_WAIT_MS = 1000;

/** CloseLogicalChannel for each of `numbers`; resolves on their Acks or after `waitMs`, never rejects. */
export function closeOwnChannels(session: H245Session, numbers: number[], log: Logger, waitMs = CLC_ACK_WAIT_MS): Promise<void> {
  if (numbers.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log.info('h323 no CloseLogicalChannelAck in time: ending the H.245 session anyway', { channels: numbers, waitedMs: waitMs });
      resolve();
    }, waitMs);
    void Promise.all(numbers.map((n) => session.closeChannel(n).catch(() => undefined))).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

import { MeetingConnectorError } from './connectors/mediasoup-meeting/index.ts';
import type { MeetingLegHandle } from './media-plane/handles.ts';

/** The meeting could not be joined in time or at all; `status` is the SIP status it maps to. */
export class MeetingUnavailable extends Error {
  override readonly name = 'MeetingUnavailable';
  constructor(
    message: string,
    /** 503 (RFC 3261 21.5.4) unless the connector classified the failure itself. */
    readonly status = 503,
  ) {
    super(message);
  }
}

/** Joins a meeting within `timeoutMs`; a join completing after the timeout leaves at once (no leak). */
export async function joinWithTimeout(join: Promise<MeetingLegHandle>, timeoutMs: number): Promise<MeetingLegHandle> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MeetingUnavailable(`join timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([join, timeout]);
  } catch (err) {
    void join.then((leg) => leg.leave()).catch(() => undefined);
    if (err instanceof MeetingUnavailable) throw err;
    const status = err instanceof MeetingConnectorError ? err.sipStatus : 503;
    throw new MeetingUnavailable((err as Error).message, status);
  } finally {
    clearTimeout(timer);
  }
}

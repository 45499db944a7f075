// The parts of a call's summary (GET /api/calls, the call-ended record) every call class shares.
import type { CallDtmfRelay } from './call-dtmf-relay.ts';
import type { CallSummary } from './inbound-call.ts';
import type { CallMediaHandle, MeetingLegHandle } from './media-plane/handles.ts';

export interface CallProgress {
  answeredAt?: number;
  keyframesFromRoom: number;
  keyframesToRoom: number;
  media?: CallMediaHandle;
  leg?: MeetingLegHandle;
  dtmf?: CallDtmfRelay;
}

/** Answer time, keyframes bridged and the media, meeting and DTMF counters, where they exist. */
export function progressSummary(c: CallProgress): Pick<CallSummary, 'answeredAt' | 'keyframes' | 'media' | 'meeting' | 'dtmf'> {
  return {
    ...(c.answeredAt ? { answeredAt: c.answeredAt } : {}),
    keyframes: { fromRoom: c.keyframesFromRoom, toRoom: c.keyframesToRoom },
    ...(c.media ? { media: c.media.stats() } : {}),
    ...(c.leg ? { meeting: c.leg.stats() } : {}),
    ...(c.dtmf ? { dtmf: c.dtmf.stats() } : {}),
  };
}

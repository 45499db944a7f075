// What every call class (SIP and H.323, inbound and outbound) wires once it has its room media and
// its meeting leg: the meeting ending the leg, or the room going silent past the media timeout,
// ends the call; the bridge's keyframe requests go to the room by the call's signalling; keys
// travel both ways through one CallDtmfRelay.
import { CallDtmfRelay } from './call-dtmf-relay.ts';
import type { DtmfDigit } from '../bridge/index.ts';
import type { Logger } from './logger.ts';
import type { CallMediaHandle, MeetingLegHandle } from './media-plane/handles.ts';

export interface CallMediaWiring {
  log: Logger;
  /** End the call: `meeting` when the leg ended, `gateway` on the room's media timeout. */
  end(by: 'meeting' | 'gateway', reason: string): void;
  /** The bridge needs a keyframe from the room (SIP INFO picture_fast_update, H.245 videoFastUpdatePicture). */
  requestRoomKeyframe(): void;
  /** A key to the room out of band, for rooms without RFC 4733 (SIP INFO, H.245 userInput). */
  sendInfo(contentType: string, body: string): Promise<number>;
}

/** Wires `media` and `leg` into their call; returns the call's DTMF relay. */
export function wireCallMedia(media: CallMediaHandle, leg: MeetingLegHandle, w: CallMediaWiring): CallDtmfRelay {
  leg.on('ended', (reason: string) => w.end('meeting', reason));
  media.on('room-keyframe-needed', () => w.requestRoomKeyframe());
  media.on('media-timeout', (ms) => w.end('gateway', `media timeout: nothing from the room for ${Math.round(ms / 1000)} s`));
  return new CallDtmfRelay({ media, leg, log: w.log, sendInfo: (type, body) => w.sendInfo(type, body) });
}

/** Keys an operator plays to the room (admin API); false when the call is not active or one was refused. */
export function playKeysToRoom(relay: CallDtmfRelay | undefined, active: boolean, digits: DtmfDigit[], durationMs?: number): boolean {
  if (!active || !relay) return false;
  return digits.map((d) => relay.sendToRoom(d, durationMs, 'operator')).every(Boolean);
}

import type { CallMediaStats, DirectionCounters } from './call-media-types.ts';

const dc = (): DirectionCounters => ({ packets: 0, bytes: 0 });

export function newCallMediaStats(): CallMediaStats {
  return {
    room: { audioIn: dc(), audioOut: dc(), videoIn: dc(), videoOut: dc(), rtcpIn: dc(), rtcpOut: dc() },
    cloud: { audioIn: dc(), audioOut: dc(), videoIn: dc(), videoOut: dc() },
    malformedDropped: 0,
    decodeErrors: 0,
    keyframeRequestsToCloud: 0,
    keyframeRequestsToRoom: 0,
    keyframeRetriesToRoom: 0,
    activeCloudAudioSources: 0,
    videoSourceSwitches: 0,
    videoHeldForKeyframe: 0,
  };
}

export function count(c: DirectionCounters, bytes: number): void {
  c.packets++;
  c.bytes += bytes;
}

/** Drops bad input once-logged per kind: counts every drop, logs the first of each key. */
export class DropLog {
  private readonly seen = new Set<string>();
  constructor(private readonly log: (msg: string, meta: object) => void) {}
  once(key: string, msg: string, meta: object): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.log(msg, meta);
  }
}

/**
 * The cloud side of a call as the bridge sees it: raw RTP buffers in and out.
 * Implemented by the meeting connector's WebRTC leg (gateway/connectors/...).
 *
 * Buffer ownership: a buffer handed across this interface in either direction belongs to the
 * receiver from then on. CallMedia may rewrite the header of an 'audio'/'video' buffer in place
 * and forward it; the leg may keep or modify a buffer passed to sendAudio/sendVideo. Neither side
 * reuses a buffer after handing it over.
 */
export interface CloudMediaPortEvents {
  /** Opus 48 kHz RTP from one meeting participant (sourceId: stable per producer/participant). */
  audio: [sourceId: string, rtp: Buffer];
  /** H.264 90 kHz RTP of the participant the room should see (any SSRC; CallMedia rewrites). */
  video: [rtp: Buffer];
  /** The meeting asks the room for a keyframe (PLI/FIR from the SFU). */
  'keyframe-request': [];
}

export type CloudMediaPortEvent = keyof CloudMediaPortEvents;

export interface CloudMediaPort {
  on<K extends CloudMediaPortEvent>(event: K, listener: (...args: CloudMediaPortEvents[K]) => void): unknown;
  off<K extends CloudMediaPortEvent>(event: K, listener: (...args: CloudMediaPortEvents[K]) => void): unknown;
  /** Opus 48 kHz RTP, 20 ms frames, PT 111, own seq/ts; the leg rewrites SSRC/PT. */
  sendAudio(rtp: Buffer): void;
  /** H.264 90 kHz RTP as the room sent it; the leg rewrites SSRC/PT. */
  sendVideo(rtp: Buffer): void;
  /** Ask the meeting (the room's current video source) for a keyframe: PLI/FIR upstream. */
  requestKeyframe(): void;
  /**
   * Receive one meeting participant's audio or not (false: another room's leg in this media thread
   * already delivers it to the meeting's shared mix, so this one need not get or decrypt it).
   * Optional: a port without it keeps receiving everything.
   */
  setAudioSourceWanted?(sourceId: string, wanted: boolean): void;
  /**
   * The most video the room wants to receive, bit/s (its SDP b=TIAS/b=AS, RTCP TMMBR/REMB: the
   * smallest that applies); `Infinity` when it states none. CallMedia calls it once on attach
   * (`Infinity` if no limit is known) and then whenever the limit changes. Optional: a port that
   * cannot choose a layer leaves it out.
   */
  limitVideoBitrate?(bps: number): void;
}

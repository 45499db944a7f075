/**
 * CPU cost of the transcoding work alone, in this process with no sockets and no clock: the
 * bridge's own pipeline classes (as test/bridge does, imported from their files) fed the
 * bench's payloads as fast as they go. room → meeting: RoomAudioToMeeting (G.711 decode,
 * 8 → 48 kHz, Opus encode); meeting → room: MeetingAudioToRoom with one speaker (Opus decode,
 * mix, 48 → 8 kHz, G.711 encode) and one tick per frame. CPU time, so far less disturbed by
 * other load than the real-time figures: a floor under what one call costs the gateway.
 */
import { MeetingAudioToRoom } from '../../bridge/audio/meeting-audio-to-room.ts';
import { RoomAudioToMeeting } from '../../bridge/audio/room-audio-to-meeting.ts';
import { writeRtpHeader } from '../../rtp/index.ts';
import { ownCpuSeconds } from './common.ts';
import { CYCLE_FRAMES, FRAME_MS, opusCycle, pcmuCycle } from './payloads.ts';

const WARMUP_FRAMES = 300;

export interface CodecCost {
  /** CPU µs per 20 ms frame, room → meeting. */
  uplinkUs: number;
  /** CPU µs per 20 ms frame, meeting → room. */
  downlinkUs: number;
}

export function measureCodecCost(frames = 3000): CodecCost {
  const pcmu = pcmuCycle();
  const opus = opusCycle();
  const up = new RoomAudioToMeeting({ codec: 'PCMU', payloadType: 0, send: () => undefined, onDrop: () => undefined });
  const down = new MeetingAudioToRoom({ codec: 'PCMU', payloadType: 0, ptimeMs: 20, send: () => undefined, onDrop: () => undefined });
  let seq = 0;
  const upFrame = (i: number): void => {
    const b = Buffer.allocUnsafe(12 + 160);
    writeRtpHeader(b, 0, false, seq, 160 * seq, 1);
    seq++;
    pcmu[i % CYCLE_FRAMES]!.copy(b, 12);
    up.onRoomRtp(b);
  };
  let dseq = 0;
  const downFrame = (i: number): void => {
    const p = opus[i % CYCLE_FRAMES]!;
    const b = Buffer.allocUnsafe(12 + p.length);
    writeRtpHeader(b, 111, false, dseq, 960 * dseq, 2);
    dseq++;
    p.copy(b, 12);
    const now = i * FRAME_MS;
    down.onCloudAudio('speaker-1', b, now);
    down.tick(now);
  };
  const time = (fn: (i: number) => void): number => {
    for (let i = 0; i < WARMUP_FRAMES; i++) fn(i);
    const c0 = ownCpuSeconds();
    for (let i = 0; i < frames; i++) fn(WARMUP_FRAMES + i);
    return ((ownCpuSeconds() - c0) * 1e6) / frames;
  };
  return { uplinkUs: time(upFrame), downlinkUs: time(downFrame) };
}

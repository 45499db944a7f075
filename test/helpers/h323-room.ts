// The H.323 room of the tests: gateway/h323/room-endpoint.ts (also `roomgate h323-room`), plus an
// ffmpeg-made H.264 file for its video.
import { execFileSync } from 'node:child_process';

export { H323Room, H323RoomListener, type H323RoomMode, type H323RoomOptions } from '../../gateway/h323/room-endpoint.ts';

/** A baseline H.264 Annex B test pattern made by ffmpeg (libx264), SPS/PPS before every IDR, an IDR every second. */
export function makeH264File(path: string, fps = 15, seconds = 4): string {
  execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${fps}`, '-t', String(seconds),
    '-c:v', 'libx264', '-profile:v', 'baseline', '-level', '3.1', '-g', String(fps), '-x264-params', 'repeat-headers=1:slices=1',
    '-pix_fmt', 'yuv420p', '-f', 'h264', path,
  ]);
  return path;
}

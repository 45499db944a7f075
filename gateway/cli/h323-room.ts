// `roomgate h323-room`: a room endpoint with media from files (issue #5 acceptance 3) — calls a
// gateway over H.323, sends a tone (and an H.264 file), records what it hears to a WAV file,
// optionally presses keys (userInputIndication), hangs up after --seconds or on SIGINT/SIGTERM.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { H323Room, type H323RoomMode } from '../h323/room-endpoint.ts';

export const H323_ROOM_USAGE = `usage:
  roomgate h323-room --gateway HOST[:PORT] --meeting NUMBER [--mode fastStart|tunnel|separate|gatewayListens]
                     [--bind IP] [--name NAME] [--tone HZ] [--codec PCMU|PCMA|G722] [--video FILE.h264 [--fps N]]
                     [--record OUT.wav] [--seconds S] [--keys DIGITS [--keys-after S]]
  --meeting goes in an h323-ID alias (digits: dialledDigits); "IP##meeting" works too.
  Prints "connected" once the call is up and "released <cause>" at the end.
exit status: 0 after a call that connected, 1 when it failed, 2 on a usage error`;

/** Minimal RIFF/WAVE PCM 16-bit mono. */
function wav(samples: Int16Array, rate: number): Buffer {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples.length * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples.length * 2, 40);
  for (let i = 0; i < samples.length; i++) b.writeInt16LE(samples[i]!, 44 + i * 2);
  return b;
}

export async function runH323Room(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      gateway: { type: 'string' }, meeting: { type: 'string' }, mode: { type: 'string', default: 'fastStart' },
      bind: { type: 'string', default: '127.0.0.1' }, name: { type: 'string', default: 'h323-room' },
      tone: { type: 'string', default: '440' }, codec: { type: 'string', default: 'PCMU' }, video: { type: 'string' }, fps: { type: 'string', default: '15' },
      record: { type: 'string' }, seconds: { type: 'string' }, keys: { type: 'string' }, 'keys-after': { type: 'string', default: '2' },
    },
  });
  const mode = values.mode as H323RoomMode;
  const m = /^([^:]+)(?::(\d+))?$/.exec(values.gateway ?? '');
  const codec = values.codec as 'PCMU' | 'PCMA' | 'G722';
  if (!m || !values.meeting || !['fastStart', 'tunnel', 'separate', 'gatewayListens'].includes(mode) || !['PCMU', 'PCMA', 'G722'].includes(codec)) {
    out(H323_ROOM_USAGE);
    return 2;
  }
  const meeting = values.meeting;
  let room: H323Room;
  try {
    room = await H323Room.dial({
      gatewayAddress: m[1]!, gatewayPort: m[2] ? Number(m[2]) : 1720, localAddress: values.bind!, mode, name: values.name!,
      toneHz: Number(values.tone), codec, calledAliases: [/^[0-9#*,]+$/.test(meeting) ? { dialledDigits: meeting } : { h323Id: meeting }],
      ...(values.video ? { video: { file: values.video, fps: Number(values.fps) } } : {}),
    });
  } catch (err) {
    out(`failed: ${(err as Error).message}`);
    return 1;
  }
  out('connected');
  const timers: NodeJS.Timeout[] = [];
  if (values.keys) timers.push(setTimeout(() => { room.sendUserInput(values.keys!); out(`sent ${values.keys}`); }, Number(values['keys-after']) * 1000));
  const ended = new Promise<string>((resolve) => {
    room.call.once('released', (end) => resolve(`released ${end.cause ?? '-'} (${end.by})`));
    const hangup = () => room.hangup();
    process.once('SIGINT', hangup);
    process.once('SIGTERM', hangup);
    if (values.seconds) timers.push(setTimeout(hangup, Number(values.seconds) * 1000));
  });
  out(await ended);
  for (const t of timers) clearTimeout(t);
  room.stop();
  if (values.record) writeFileSync(values.record, wav(room.recording(), room.sampleRate));
  return 0;
}

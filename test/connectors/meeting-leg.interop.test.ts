import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  joinMeeting,
  MeetingRejectedError,
  MeetingUnreachableError,
  type MeetingLeg,
} from '../../gateway/connectors/mediasoup-meeting/index.ts';
import { startMeetingServer, type MeetingServer } from '../../meeting/server.ts';
import { dominantFrequency } from '../helpers/spectrum.ts';

// Interop: two werift legs through the real embedded meeting (mediasoup SFU, meeting/server.ts).
const require = createRequire(import.meta.url);
const { OpusEncoder } = require('@discordjs/opus') as typeof import('@discordjs/opus');

const workerBin =
  process.env.MEDIASOUP_WORKER_BIN ?? new URL('../../node_modules/mediasoup/worker/out/Release/mediasoup-worker', import.meta.url).pathname;
const haveWorker = existsSync(workerBin);
if (!haveWorker) console.warn(`meeting-leg interop tests skipped: no mediasoup worker at ${workerBin}`);

const logger = { debug() {}, info() {}, warn: (m: string, meta?: object) => console.warn(m, meta ?? ''), error: (m: string, meta?: object) => console.error(m, meta ?? '') };

let server: MeetingServer;
let roomSeq = 0;
const legs: MeetingLeg[] = [];
const children: ChildProcess[] = [];
const cleanups: (() => unknown)[] = [];

function join(roomId: string, displayName: string, video: boolean): Promise<MeetingLeg> {
  return joinMeeting({ url: server.wsUrl, roomId, displayName, logger, audio: true, video }).then((leg) => {
    legs.push(leg);
    return leg;
  });
}

/** RTP (RFC 3550 5.1) with no CSRC/extension, as the bridge hands it to the leg. */
function rtpPacket(pt: number, seq: number, ts: number, ssrc: number, payload: Buffer, marker = false): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | pt;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE(ts >>> 0, 4);
  h.writeUInt32BE(ssrc, 8);
  return Buffer.concat([h, payload]);
}

/** Payload of an RTP packet as received (skips CSRCs and the header extension, RFC 3550 5.3.1). */
function rtpPayload(buf: Buffer): Buffer {
  let off = 12 + 4 * (buf[0]! & 0x0f);
  if (buf[0]! & 0x10) off += 4 + 4 * buf.readUInt16BE(off + 2);
  let end = buf.length;
  if (buf[0]! & 0x20) end -= buf[buf.length - 1]!;
  return buf.subarray(off, end);
}

/** H.264 NAL unit types carried by one RTP payload (RFC 6184 5.6 single, 5.7.1 STAP-A, 5.8 FU-A start). */
function nalTypes(payload: Buffer): number[] {
  const type = payload[0]! & 0x1f;
  if (type >= 1 && type <= 23) return [type];
  if (type === 24) {
    const out: number[] = [];
    for (let off = 1; off + 2 < payload.length; ) {
      const size = payload.readUInt16BE(off);
      out.push(payload[off + 2]! & 0x1f);
      off += 2 + size;
    }
    return out;
  }
  if (type === 28 && payload[1]! & 0x80) return [payload[1]! & 0x1f];
  return [];
}

describe.skipIf(!haveWorker)('MeetingLeg through the embedded mediasoup meeting', () => {
  beforeAll(async () => {
    server = await startMeetingServer({ host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(legs.splice(0).map((l) => l.leave()));
  });

  afterAll(async () => {
    await server?.close();
  });

  it('carries a 440 Hz Opus tone from one leg to the other, tagged with the sender peerId', async () => {
    const roomId = `tone-${++roomSeq}`;
    const a = await join(roomId, 'room A', false);
    const b = await join(roomId, 'room B', false);
    expect(b.stats().consumers).toBe(1); // A's audio, present at B's join

    const decoder = new OpusEncoder(48000, 2);
    const left: number[] = [];
    const frames = 60;
    const heard = new Promise<void>((resolve) => {
      b.on('audio', (sourceId, rtp) => {
        if (sourceId !== a.peerId) return;
        const pcm = decoder.decode(rtpPayload(rtp));
        for (let i = 0; i + 1 < pcm.length / 2; i += 2) left.push(pcm.readInt16LE(i * 2));
        if (left.length >= frames * 960) resolve();
      });
    });

    const encoder = new OpusEncoder(48000, 2);
    let seq = 1000;
    let ts = 0;
    let phase = 0;
    const send = (): void => {
      const pcm = Buffer.alloc(960 * 4);
      for (let i = 0; i < 960; i++) {
        const s = Math.round(0.5 * 32767 * Math.sin(phase));
        phase += (2 * Math.PI * 440) / 48000;
        pcm.writeInt16LE(s, i * 4);
        pcm.writeInt16LE(s, i * 4 + 2);
      }
      a.sendAudio(rtpPacket(111, seq++, ts, 0x1234, encoder.encode(pcm)));
      ts += 960;
    };
    // 20 ms pacing is the media clock of the sender, not a synchronisation device.
    const timer = setInterval(send, 20);
    cleanups.push(() => clearInterval(timer));
    await heard;

    const hz = dominantFrequency(Int16Array.from(left), 48000);
    expect(Math.abs(hz - 440)).toBeLessThan(5);
    expect(a.stats().audio.packetsSent).toBeGreaterThanOrEqual(frames);
    expect(b.stats().audio.packetsReceived).toBeGreaterThanOrEqual(frames);
  });

  it('carries H.264 with keyframes from one leg to the other, and a requested keyframe reaches the sender as keyframe-request', async () => {
    const roomId = `video-${++roomSeq}`;
    const a = await join(roomId, 'room A', true);
    const b = await join(roomId, 'room B', true);
    expect(b.stats().videoSourcePeerId).toBe(a.peerId);

    // ffmpeg's RTP (and its RTCP, same port) into a local socket; RTP goes on to leg A.
    const sock = dgram.createSocket('udp4');
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && (msg[1]! & 0x7f) === 96) a.sendVideo(msg); // RTCP has PT 200..204 here
    });
    const port = sock.address().port;
    const ff = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15',
      '-c:v', 'libx264', '-profile:v', 'baseline', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '15',
      '-payload_type', '96', '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${port}&pkt_size=1200`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(ff);

    const seen = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      ff.once('exit', (code) => reject(new Error(`ffmpeg exited early (${code})`)));
      b.on('video', (rtp) => {
        for (const t of nalTypes(rtpPayload(rtp))) seen.add(t);
        if (seen.has(5) && seen.has(7)) resolve();
      });
    });
    ff.removeAllListeners('exit');
    expect(seen.has(7) && seen.has(5)).toBe(true); // SPS and IDR slice (RFC 6184 1.3 / H.264 7.4.1.2)
    expect(b.stats().video.packetsReceived).toBeGreaterThan(0);

    const keyframeRequest = once(a, 'keyframe-request');
    const before = a.stats().keyframeRequestsReceived;
    b.requestKeyframe();
    await keyframeRequest;
    expect(b.stats().keyframeRequestsSent).toBe(1);
    expect(a.stats().keyframeRequestsReceived).toBeGreaterThan(before);
  });

  it('ends both legs with the reason when the room is closed over HTTP, and the meeting is empty again', async () => {
    const roomId = `close-${++roomSeq}`;
    const a = await join(roomId, 'room A', true);
    const b = await join(roomId, 'room B', false);
    expect(server.stats().peers).toBe(2);
    const endedA = once(a, 'ended');
    const endedB = once(b, 'ended');
    const res = await fetch(new URL(`/api/rooms/${roomId}/close`, server.url), { method: 'POST' });
    expect(res.status).toBe(200);
    const [reasonA] = await endedA;
    const [reasonB] = await endedB;
    expect(reasonA).toMatch(/room closed/);
    expect(reasonB).toMatch(/room closed/);
    expect(a.stats().state).toBe('ended');
    await Promise.all([a.leave(), b.leave()]); // idempotent after the end
    expect(server.stats()).toEqual({ rooms: 0, peers: 0, transports: 0, producers: 0, consumers: 0 });
  });

  it('leave() is idempotent, emits no ended, and removes the leg from the meeting', async () => {
    const roomId = `leave-${++roomSeq}`;
    const a = await join(roomId, 'room A', false);
    const b = await join(roomId, 'room B', false);
    let ended = 0;
    a.on('ended', () => ended++);
    await Promise.all([a.leave(), a.leave()]);
    await a.leave();
    expect(ended).toBe(0);
    expect(a.stats().state).toBe('ended');
    expect(server.stats().peers).toBe(1);
    expect(b.stats().state).toBe('connected');
  });

  it('rejects a join to a closed port at once with MeetingUnreachableError (SIP 503)', async () => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const error = await joinMeeting({ url: `ws://127.0.0.1:${port}/ws`, roomId: 'x', displayName: 'x', logger, audio: true, video: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingUnreachableError);
    expect((error as MeetingUnreachableError).sipStatus).toBe(503);
  });

  it('rejects a join the meeting refuses with MeetingRejectedError (SIP 404) and leaves nothing behind', async () => {
    const error = await join('bad room id!', 'x', false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MeetingRejectedError);
    expect((error as MeetingRejectedError).sipStatus).toBe(404);
    expect(server.stats().peers).toBe(0);
  });
});

// The media plane (gateway/media-plane): calls' media in worker threads, one shared RTP port pool,
// every call of a meeting on one thread, events/stats/logs back to the control thread, join errors
// classified across the thread boundary, nothing left after close. Also with `workers: 0`.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator } from '../../bridge/index.ts';
import { MeetingConnectorError } from '../../gateway/connectors/mediasoup-meeting/index.ts';
import { MediaPlane } from '../../gateway/media-plane/media-plane.ts';
import { startMeetingServer } from '../../meeting/index.ts';
import { RtpPacket } from '../../rtp/index.ts';
import { capturingLogger, type LogEntry } from '../e2e/harness.ts';

const planes: MediaPlane[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await Promise.all(planes.splice(0).map((p) => p.close()));
  for (const s of sockets.splice(0)) s.close();
});

function plane(workers: number, logs: LogEntry[] = []): { plane: MediaPlane; ports: PortAllocator } {
  const ports = new PortAllocator({ min: 46600, max: 46699 });
  const p = new MediaPlane({ workers, ports, logger: capturingLogger(logs), statsIntervalMs: 100 });
  planes.push(p);
  return { plane: p, ports };
}

async function udpPeer(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

function pcmuPacket(seq: number): Buffer {
  return new RtpPacket({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x1234, payload: Buffer.alloc(160, 0xff) }).encode();
}

for (const workers of [2, 0]) {
  describe(`media plane, ${workers === 0 ? 'in the control thread' : `${workers} worker threads`}`, () => {
    it('binds ports from the shared pool: the control thread counts them, close gives them back', async () => {
      const { plane: p, ports } = plane(workers);
      const a = await p.createMedia('m1', { bindAddress: '127.0.0.1', video: true, logger: capturingLogger([]), mediaTimeoutMs: 0 });
      const b = await p.createMedia('m2', { bindAddress: '127.0.0.1', video: false, logger: capturingLogger([]), mediaTimeoutMs: 0 });
      expect(ports.inUse).toBe(3);
      expect(new Set([a.audioPort, a.videoPort, b.audioPort]).size).toBe(3);
      expect(b.videoPort).toBe(0);
      for (const port of [a.audioPort, a.videoPort, b.audioPort]) expect(ports.isHeld(port)).toBe(true);
      a.close();
      b.close();
      await expect.poll(() => ports.inUse).toBe(0);
    });

    it('keeps every call of a meeting on one thread and spreads meetings over the threads', async () => {
      const { plane: p } = plane(workers);
      const opts = { bindAddress: '127.0.0.1', video: false, logger: capturingLogger([]), mediaTimeoutMs: 0 };
      const made = [await p.createMedia('A', opts), await p.createMedia('A', opts), await p.createMedia('B', opts)];
      const threads = p.summary();
      if (workers === 0) {
        expect(threads).toEqual([{ thread: 'control', media: 3, legs: 0, meetings: 2 }]);
      } else {
        expect(threads.map((t) => [t.thread, t.media, t.meetings]).sort()).toEqual([['worker', 1, 1], ['worker', 2, 1]]);
      }
      for (const m of made) m.close();
      expect(p.summary().every((t) => t.media === 0 && t.meetings === 0)).toBe(true);
    });

    it('room RTP is received on the media thread: the snapshot counts it, latching is reported as an event', async () => {
      const { plane: p } = plane(workers);
      const logs: LogEntry[] = [];
      const media = await p.createMedia('m', { bindAddress: '127.0.0.1', video: false, logger: capturingLogger(logs).child({ callId: 'c-1' }), mediaTimeoutMs: 0 });
      const room = await udpPeer();
      // the SDP names another port: symmetric RTP latches to where the room really sends from
      media.setRemote({ address: '127.0.0.1', audio: { port: 9, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20, telephoneEventPt: 101 } });
      expect(media.canSendRfc4733).toBe(true);
      const latched = once(media as never, 'remote-latched');
      for (let seq = 1; seq <= 20; seq++) room.send(pcmuPacket(seq), media.audioPort, '127.0.0.1');
      const [kind, address, port] = (await latched) as [string, string, number];
      expect([kind, address, port]).toEqual(['audio', '127.0.0.1', room.address().port]);
      await expect.poll(() => media.stats().room.audioIn.packets, { timeout: 5000 }).toBe(20);
      // a key toward the room leaves as RFC 4733 packets from the media thread
      const got = once(room, 'message');
      expect(media.sendDtmf('5', 100)).toBe(true);
      const [packet] = (await got) as [Buffer];
      expect(packet[1]! & 0x7f).toBe(101);
      media.close();
      expect(media.sendDtmf('6', 100)).toBe(false);
    });

    it('a join that fails keeps its classification (MeetingConnectorError, SIP status) across the thread', async () => {
      const { plane: p } = plane(workers);
      const err = await p.joinMeeting({ url: 'ws://127.0.0.1:1/ws', roomId: 'r', displayName: 'room', video: false, logger: capturingLogger([]) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MeetingConnectorError);
      expect((err as MeetingConnectorError).sipStatus).toBe(503);
      expect(p.summary().every((t) => t.legs === 0 && t.meetings === 0)).toBe(true);
    });
  });
}

describe('media plane placement of a large meeting', () => {
  it('spreads a meeting over the threads once its thread holds meetingCallsPerThread of its calls', async () => {
    const ports = new PortAllocator({ min: 46600, max: 46699 });
    const p = new MediaPlane({ workers: 2, ports, logger: capturingLogger([]), meetingCallsPerThread: 2 });
    planes.push(p);
    const opts = { bindAddress: '127.0.0.1', video: false, logger: capturingLogger([]), mediaTimeoutMs: 0 };
    // meetingCallsPerThread counts calls (media + leg each): 4 media objects fill the first thread
    for (let i = 0; i < 4; i++) await p.createMedia('big', opts);
    expect(p.summary().map((t) => t.media)).toEqual([4]);
    await p.createMedia('big', opts);
    expect(p.summary().map((t) => t.media).sort()).toEqual([1, 4]);
  });
});

describe('media plane lifecycle', () => {
  it('close ends the media still open on the threads and frees their ports', async () => {
    const { plane: p, ports } = plane(2);
    await p.createMedia('A', { bindAddress: '127.0.0.1', video: true, logger: capturingLogger([]), mediaTimeoutMs: 0 });
    await p.createMedia('B', { bindAddress: '127.0.0.1', video: true, logger: capturingLogger([]), mediaTimeoutMs: 0 });
    expect(ports.inUse).toBe(4);
    await p.close();
    expect(ports.inUse).toBe(0);
    expect(p.summary()).toEqual([]);
    await expect(p.createMedia('C', { bindAddress: '127.0.0.1', video: false, logger: capturingLogger([]), mediaTimeoutMs: 0 })).rejects.toThrow(/closed/);
  });
});

describe('a media thread that dies', () => {
  it('ends only its own calls: their legs hear "ended", its port pairs return to the pool, the other thread carries on, the next meeting gets a new thread', async () => {
    const meeting = await startMeetingServer({ host: '127.0.0.1', port: 0, logger: capturingLogger([]) });
    try {
      const workers: Worker[] = [];
      const logs: LogEntry[] = [];
      const ports = new PortAllocator({ min: 46600, max: 46699 });
      const p = new MediaPlane({ workers: 2, ports, logger: capturingLogger(logs), statsIntervalMs: 100, onWorkerStarted: (w) => workers.push(w) });
      planes.push(p);
      const opts = (video: boolean) => ({ bindAddress: '127.0.0.1', video, logger: capturingLogger([]), mediaTimeoutMs: 0 });
      const a = await p.createMedia('A', opts(true));
      const legA = await p.joinMeeting({ url: meeting.wsUrl, roomId: 'A', displayName: 'room A', video: false, logger: capturingLogger([]) });
      const b = await p.createMedia('B', opts(false));
      expect(workers).toHaveLength(2);
      expect(ports.inUse).toBe(3);
      const ended = once(legA as never, 'ended') as Promise<[string]>;
      // what a fatal error in the thread does: the thread exits with its sockets
      await workers[0]!.terminate();
      expect((await ended)[0]).toMatch(/media worker stopped/);
      await expect.poll(() => ports.inUse, { timeout: 5000 }).toBe(1);
      expect([ports.isHeld(a.audioPort), ports.isHeld(a.videoPort), ports.isHeld(b.audioPort)]).toEqual([false, false, true]);
      expect(logs.find((l) => l.message === 'media worker stopped; its calls end')).toMatchObject({ portPairsReclaimed: 2 });
      // the call's own clean-up afterwards is harmless
      a.close();
      await legA.leave();
      // meeting B's thread carries on
      const room = await udpPeer();
      b.setRemote({ address: '127.0.0.1', audio: { port: room.address().port, payloadType: 0, codec: 'PCMU', clockRate: 8000, channels: 1, ptimeMs: 20 } });
      for (let seq = 1; seq <= 10; seq++) room.send(pcmuPacket(seq), b.audioPort, '127.0.0.1');
      await expect.poll(() => b.stats().room.audioIn.packets, { timeout: 5000 }).toBe(10);
      // a new meeting takes the dead thread's slot with a new thread
      const c = await p.createMedia('C', opts(false));
      expect(workers).toHaveLength(3);
      expect(p.summary().map((t) => t.media).sort()).toEqual([1, 1]);
      expect(ports.isHeld(c.audioPort)).toBe(true);
    } finally {
      await Promise.all(planes.splice(0).map((pl) => pl.close()));
      await meeting.close();
    }
  });
});

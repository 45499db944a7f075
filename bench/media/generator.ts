/**
 * Load generator and sink, run as a child process (generator-client.ts forks it): one UDP
 * socket on 127.0.0.1 per endpoint; each endpoint may send a paced RTP stream (PCMU or Opus
 * every 20 ms, or H.264 at 30 frames/s, 2 Mbit/s) and counts what it receives.
 *
 * Late: each received packet's schedule is its RTP timestamp on the sender's media clock,
 * anchored at the earliest arrival seen on that stream (min of arrival − media time, warm-up
 * included). A packet arriving more than `lateMs` after its schedule is late: the jitter of the
 * output against an ideal clock, the thing a terminal's jitter buffer must absorb.
 * Loss: sequence numbers seen in the window against the packets that arrived.
 * Latency (sampled endpoints): audio onsets (payloads.ts) matched with the send time of the
 * peer's last onset frame; H.264 payloads carry their send time. One monotonic clock serves
 * every process (common.ts monoMs), so the gateway's socket receive, queueing, transcoding and
 * send are all inside the figure.
 */
import dgram from 'node:dgram';
import { OpusAudioDecoder } from '../../bridge/index.ts';
import { writeRtpHeader } from '../../rtp/index.ts';
import { monoMs, ownCpuSeconds } from './common.ts';
import type { EndpointSpec, FromGenerator, GeneratorResult, MediaKind, RoleFigures, RunOptions, ToGenerator } from './generator-protocol.ts';
import {
  CYCLE_FRAMES, FRAME_MS, int16Peak, isLoudFrame, OnsetDetector, QUIET_RUN, opusCycle, pcmuCycle, pcmuPeak,
  videoFragment, VIDEO_FPS, VIDEO_PACKETS_PER_FRAME, VIDEO_STAMP_OFFSET,
} from './payloads.ts';

const RTP_HEADER = 12;
const PT: Record<MediaKind, number> = { pcmu: 0, opus: 111, h264: 96 };
const CLOCK: Record<MediaKind, number> = { pcmu: 8000, opus: 48000, h264: 90000 };
const PERIOD_MS: Record<MediaKind, number> = { pcmu: FRAME_MS, opus: FRAME_MS, h264: 1000 / VIDEO_FPS };
const PACKETS_PER_PERIOD: Record<MediaKind, number> = { pcmu: 1, opus: 1, h264: VIDEO_PACKETS_PER_FRAME };
const TS_PER_PERIOD: Record<MediaKind, number> = { pcmu: 160, opus: 960, h264: 3000 };
/** A send this far behind its schedule counts as a late send of the generator itself. */
const GENERATOR_LATE_MS = 5;
const SOCKET_BUFFER = 1 << 20;
/** Anchor window of the late test (see trailingMin), ms. */
const BASE_WINDOW_MS = 2000;

const send = (msg: FromGenerator): void => { process.send?.(msg); };

interface Endpoint {
  spec: EndpointSpec;
  socket: dgram.Socket;
  // sender
  frame: number;
  due: number;
  seq: number;
  ts0: number;
  ssrc: number;
  onsetTimes: number[];
  /** Quiet frames sent in a row (the sender's side of the onset rule). */
  quietSent: number;
  // receiver
  started: boolean;
  lastSeq: number;
  seqExt: number;
  lastTs: number;
  tsExt: number;
  /** Trailing minimum of (arrival − media time) over BASE_WINDOW_MS: a deque of candidates. */
  minTimes: number[];
  minOffsets: number[];
  minHead: number;
  winFirst: number | undefined;
  winMax: number;
  received: number;
  late: number;
  latency: number[];
  onsets: OnsetDetector | undefined;
  decoder: OpusAudioDecoder | undefined;
}

const sockets: dgram.Socket[] = [];
let endpoints: Endpoint[] = [];
let measuring = false;
let sending = false;
let sent = 0;
let sentLate = 0;
let skipped = 0;
/** Catch-up limit of the pacing loop, ms. */
const MAX_BEHIND_MS = 100;
const PCMU = pcmuCycle();
const OPUS = opusCycle();

async function open(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => { s.off('error', reject); resolve(); });
    });
    s.setRecvBufferSize(SOCKET_BUFFER);
    s.on('error', () => undefined); // ICMP port unreachable after the peer closed: not our figure
    sockets.push(s);
    ports.push(s.address().port);
  }
  return ports;
}

const rand32 = (): number => Math.floor(Math.random() * 0xffffffff) >>> 0;

function makeEndpoint(spec: EndpointSpec, socket: dgram.Socket): Endpoint {
  const sample = spec.sample === true;
  return {
    spec, socket, frame: 0, due: 0, seq: Math.floor(Math.random() * 0x10000), ts0: rand32(), ssrc: rand32() || 1,
    onsetTimes: [], quietSent: 0,
    started: false, lastSeq: 0, seqExt: 0, lastTs: 0, tsExt: 0, minTimes: [], minOffsets: [], minHead: 0, winFirst: undefined, winMax: 0,
    received: 0, late: 0, latency: [],
    onsets: sample && (spec.recv === 'pcmu' || spec.recv === 'opus') ? new OnsetDetector() : undefined,
    decoder: sample && spec.recv === 'opus' ? new OpusAudioDecoder() : undefined,
  };
}

function sendFrame(ep: Endpoint): void {
  const s = ep.spec.send!;
  const f = ep.frame;
  const ts = (ep.ts0 + f * TS_PER_PERIOD[s.kind]) >>> 0;
  if (s.kind === 'h264') {
    for (let i = 0; i < VIDEO_PACKETS_PER_FRAME; i++) {
      const payload = videoFragment(f, i);
      payload.writeDoubleLE(monoMs(), VIDEO_STAMP_OFFSET);
      transmit(ep, payload, i === VIDEO_PACKETS_PER_FRAME - 1, ts, s.port);
    }
  } else {
    const payload = (s.kind === 'pcmu' ? PCMU : OPUS)[f % CYCLE_FRAMES]!;
    if (!isLoudFrame(f)) ep.quietSent++;
    else {
      if (ep.quietSent >= QUIET_RUN) ep.onsetTimes.push(monoMs()); // actual send time, not the schedule
      ep.quietSent = 0;
    }
    transmit(ep, payload, f === 0, ts, s.port);
  }
  ep.frame++;
}

function transmit(ep: Endpoint, payload: Buffer, marker: boolean, ts: number, port: number): void {
  const pkt = Buffer.allocUnsafe(RTP_HEADER + payload.length);
  writeRtpHeader(pkt, ep.spec.send!.payloadType ?? PT[ep.spec.send!.kind], marker, ep.seq, ts, ep.ssrc);
  payload.copy(pkt, RTP_HEADER);
  ep.seq = (ep.seq + 1) & 0xffff;
  ep.socket.send(pkt, port, '127.0.0.1');
  if (measuring) sent++;
}

function pace(senders: Endpoint[]): void {
  if (!sending) return;
  const now = monoMs();
  for (const ep of senders) {
    const period = PERIOD_MS[ep.spec.send!.kind];
    if (now - ep.due > MAX_BEHIND_MS) {
      // Starved: skip the frames instead of bursting them (a sender-side gap, seq unchanged).
      const skip = Math.floor((now - ep.due) / period);
      if (measuring) skipped += skip * PACKETS_PER_PERIOD[ep.spec.send!.kind];
      ep.frame += skip;
      ep.due += skip * period;
    }
    while (ep.due <= now) {
      if (measuring && now - ep.due > GENERATOR_LATE_MS) sentLate += PACKETS_PER_PERIOD[ep.spec.send!.kind];
      sendFrame(ep);
      ep.due += period;
    }
  }
  setTimeout(() => pace(senders), 1);
}

function payloadOffset(msg: Buffer): number {
  let off = RTP_HEADER + 4 * (msg[0]! & 0x0f);
  if (msg[0]! & 0x10) off += 4 + 4 * msg.readUInt16BE(off + 2);
  return off;
}

function receive(ep: Endpoint, msg: Buffer): void {
  if (msg.length < RTP_HEADER || (msg[0]! & 0xc0) !== 0x80) return;
  const pt = msg[1]! & 0x7f;
  if (pt >= 64 && pt <= 95) return; // RTCP muxed on the RTP port (RFC 5761 4)
  const arrival = monoMs();
  const kind = ep.spec.recv!;
  const seq = msg.readUInt16BE(2);
  const ts = msg.readUInt32BE(4);
  if (!ep.started) {
    ep.started = true;
    ep.lastSeq = seq;
    ep.lastTs = ts;
  } else {
    ep.seqExt += ((seq - ep.lastSeq) << 16) >> 16;
    ep.tsExt += (ts - ep.lastTs) | 0;
    if (((seq - ep.lastSeq) << 16) >> 16 > 0) ep.lastSeq = seq;
    ep.lastTs = ts;
  }
  const offset = arrival - (ep.tsExt * 1000) / CLOCK[kind];
  const base = trailingMin(ep, arrival, offset);
  if (!measuring) return;
  ep.received++;
  if (ep.winFirst === undefined || ep.seqExt < ep.winFirst) ep.winFirst = ep.seqExt;
  if (ep.seqExt > ep.winMax || ep.received === 1) ep.winMax = ep.seqExt;
  if (offset - base > currentLateMs) ep.late++;
  if (ep.spec.sample) sampleLatency(ep, msg, arrival);
}

/**
 * The schedule's anchor: the smallest (arrival − media time) of the last BASE_WINDOW_MS. A
 * receiver's jitter buffer re-syncs after a lasting shift of the sender's clock (a stalled
 * sender that skips ahead); with a trailing window the packets of the first BASE_WINDOW_MS
 * after such a shift count as late, and later ones are judged against the new anchor.
 */
function trailingMin(ep: Endpoint, now: number, offset: number): number {
  const t = ep.minTimes;
  const o = ep.minOffsets;
  while (t.length > ep.minHead && o[o.length - 1]! >= offset) { t.pop(); o.pop(); }
  t.push(now);
  o.push(offset);
  while (t[ep.minHead]! < now - BASE_WINDOW_MS) ep.minHead++;
  if (ep.minHead > 512) { t.splice(0, ep.minHead); o.splice(0, ep.minHead); ep.minHead = 0; }
  return o[ep.minHead]!;
}

function sampleLatency(ep: Endpoint, msg: Buffer, arrival: number): void {
  const off = payloadOffset(msg);
  if (ep.spec.recv === 'h264') {
    if (msg.length >= off + VIDEO_STAMP_OFFSET + 8) ep.latency.push(arrival - msg.readDoubleLE(off + VIDEO_STAMP_OFFSET));
    return;
  }
  let peak: number;
  if (ep.decoder) {
    try { peak = int16Peak(ep.decoder.decode(msg.subarray(off))); } catch { return; }
  } else {
    peak = pcmuPeak(msg.subarray(off));
  }
  if (!ep.onsets!.push(peak) || ep.spec.peer === undefined) return;
  const sentTimes = endpoints[ep.spec.peer]!.onsetTimes;
  for (let i = sentTimes.length - 1; i >= 0; i--) {
    if (sentTimes[i]! <= arrival) {
      ep.latency.push(arrival - sentTimes[i]!);
      return;
    }
  }
}

let currentLateMs = 20;

async function run(o: RunOptions): Promise<GeneratorResult> {
  currentLateMs = o.lateMs;
  endpoints = o.endpoints.map((spec, i) => makeEndpoint(spec, sockets[i]!));
  for (const ep of endpoints) {
    if (ep.spec.recv) ep.socket.on('message', (m) => receive(ep, m));
  }
  const start = monoMs() + 50;
  const senders = endpoints.filter((ep) => ep.spec.send);
  for (const ep of senders) ep.due = start + ep.spec.send!.phaseMs;
  sending = true;
  pace(senders);
  await new Promise((r) => setTimeout(r, o.warmupMs));
  measuring = true;
  send({ type: 'measuring' });
  const cpu0 = ownCpuSeconds();
  const t0 = monoMs();
  await new Promise((r) => setTimeout(r, o.measureMs));
  measuring = false;
  const windowMs = monoMs() - t0;
  const cpuSeconds = ownCpuSeconds() - cpu0;
  sending = false;
  const byRole: Record<string, RoleFigures> = {};
  for (const ep of endpoints) {
    const kind = ep.spec.recv;
    if (!kind) continue;
    const r = (byRole[ep.spec.role] ??= { streams: 0, silentStreams: 0, received: 0, expected: 0, late: 0, nominal: 0, latencyMs: [] });
    r.streams++;
    r.nominal += (windowMs / PERIOD_MS[kind]) * PACKETS_PER_PERIOD[kind];
    r.received += ep.received;
    r.late += ep.late;
    r.latencyMs.push(...ep.latency);
    if (ep.received === 0) {
      r.silentStreams++;
      r.expected += Math.round((windowMs / PERIOD_MS[kind]) * PACKETS_PER_PERIOD[kind]);
    } else {
      r.expected += ep.winMax - ep.winFirst! + 1;
    }
  }
  return { byRole, sent, sentLate, skipped, cpuSeconds, windowMs };
}

process.on('message', (raw) => {
  const msg = raw as ToGenerator;
  const work = msg.type === 'open'
    ? open(msg.count).then((ports) => send({ type: 'opened', ports }))
    : run(msg.options).then((result) => send({ type: 'done', result }));
  work.catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
});
process.on('disconnect', () => process.exit(0));

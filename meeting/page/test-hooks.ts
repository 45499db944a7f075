import type { DtmfNotice, MeetingClient, RemotePeer } from './meeting-client.ts';

/** Per-kind receive figures for one remote participant (from the consumers' RTCStatsReports). */
export interface ReceiveStats {
  packetsReceived: number;
  bytesReceived: number;
  framesDecoded?: number;
  codec?: string; // mimeType, e.g. video/H264
}

/** One encoding of the camera as sent (an `outbound-rtp` of the video producer). */
export interface SendLayerStats {
  /** The encoding's index / rid order as reported; lowest simulcast layer first when sorted by frameWidth. */
  rid?: string;
  ssrc: number;
  frameWidth?: number;
  frameHeight?: number;
  bytesSent: number;
  framesEncoded?: number;
  encoderImplementation?: string;
  codec?: string;
  /** The encoder's target, bit/s (outbound-rtp targetBitrate). */
  targetBitrate?: number;
  /** This encoding's cap as set on the sender (RTCRtpEncodingParameters.maxBitrate), bit/s. */
  maxBitrate?: number;
}

/** `window.roomgateTest`: hooks for automated tests (documented in meeting/PROTOCOL.md). */
export interface RoomgateTestHooks {
  /** Resolves once joined and publishing; rejects if joining failed. */
  ready: Promise<void>;
  /** Display names of the remote participants with a tile. */
  peers(): string[];
  /** Receive stats per remote participant name. */
  stats(): Promise<Record<string, { audio?: ReceiveStats; video?: ReceiveStats }>>;
  /** Encoded Opus frames received so far from that participant (bytes as numbers). */
  audioFrames(peerName: string, fromIndex?: number): number[][];
  /** How many encoded Opus frames have been received from that participant. */
  audioFrameCount(peerName: string): number;
  /** The text of the status line (e.g. "The meeting has ended"). */
  status(): string;
  /** Mute (false) or unmute (true) the microphone/tone track: muted sends silence. */
  setMicEnabled(on: boolean): void;
  /** The camera's encodings as sent (several with `&simulcast=1`), from the producer's stats. */
  videoSendStats(): Promise<SendLayerStats[]>;
  /** Every `participantDtmf` received, in arrival order. */
  dtmfEvents: DtmfNotice[];
  /** Ask the participant shown as `peerName` (a SIP room) to play `digit` to its room. */
  sendDtmf(peerName: string, digit: string, durationMs?: number): Promise<void>;
}

declare global {
  interface Window {
    roomgateTest?: RoomgateTestHooks;
  }
}

export function installTestHooks(
  client: MeetingClient,
  ready: Promise<void>,
  statusEl: HTMLElement,
  dtmfEvents: DtmfNotice[],
  micTrack: () => MediaStreamTrack | undefined = () => undefined,
): void {
  ready.catch(() => {}); // observed by tests; avoid an unhandled rejection
  const byName = (name: string): RemotePeer | undefined =>
    [...client.peers.values()].find((p) => p.displayName === name);
  window.roomgateTest = {
    ready,
    peers: () => [...document.querySelectorAll<HTMLElement>('[data-peer-name]')].map((t) => t.dataset.peerName!),
    async stats() {
      const out: Record<string, { audio?: ReceiveStats; video?: ReceiveStats }> = {};
      for (const peer of client.peers.values()) {
        const entry: { audio?: ReceiveStats; video?: ReceiveStats } = {};
        for (const consumer of peer.consumers.values()) {
          entry[consumer.kind] = summarize(await consumer.getStats());
        }
        out[peer.displayName] = entry;
      }
      return out;
    },
    audioFrames: (name, fromIndex = 0) => (byName(name)?.audioFrames ?? []).slice(fromIndex).map((f) => Array.from(f)),
    audioFrameCount: (name) => byName(name)?.audioFrames.length ?? 0,
    status: () => statusEl.textContent ?? '',
    setMicEnabled: (on) => {
      const track = micTrack();
      if (track) track.enabled = on;
    },
    async videoSendStats() {
      const producer = client.videoProducer;
      if (!producer) return [];
      const report = await producer.getStats();
      const caps = new Map((producer.rtpSender?.getParameters().encodings ?? []).map((e) => [e.rid, e.maxBitrate]));
      const out: SendLayerStats[] = [];
      report.forEach((r: any) => {
        if (r.type !== 'outbound-rtp') return;
        const codec = r.codecId ? report.get(r.codecId) : undefined;
        out.push({
          ...(r.rid !== undefined ? { rid: r.rid } : {}),
          ssrc: r.ssrc,
          ...(r.frameWidth !== undefined ? { frameWidth: r.frameWidth, frameHeight: r.frameHeight } : {}),
          bytesSent: r.bytesSent ?? 0,
          ...(r.framesEncoded !== undefined ? { framesEncoded: r.framesEncoded } : {}),
          ...(r.encoderImplementation ? { encoderImplementation: r.encoderImplementation } : {}),
          ...(codec?.mimeType ? { codec: codec.mimeType } : {}),
          ...(r.targetBitrate !== undefined ? { targetBitrate: r.targetBitrate } : {}),
          ...(caps.get(r.rid) !== undefined ? { maxBitrate: caps.get(r.rid) } : {}),
        });
      });
      return out;
    },
    dtmfEvents,
    async sendDtmf(peerName, digit, durationMs) {
      const peer = byName(peerName);
      if (!peer) throw new Error(`no participant named ${peerName}`);
      await client.sendDtmf(peer.peerId, digit, durationMs);
    },
  };
}

function summarize(report: RTCStatsReport): ReceiveStats {
  const s: ReceiveStats = { packetsReceived: 0, bytesReceived: 0 };
  report.forEach((r: any) => {
    if (r.type !== 'inbound-rtp') return;
    s.packetsReceived += r.packetsReceived ?? 0;
    s.bytesReceived += r.bytesReceived ?? 0;
    if (r.framesDecoded !== undefined) s.framesDecoded = (s.framesDecoded ?? 0) + r.framesDecoded;
    const codec = r.codecId ? report.get(r.codecId) : undefined;
    if (codec?.mimeType) s.codec = codec.mimeType;
  });
  return s;
}

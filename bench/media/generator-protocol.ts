/**
 * Messages between a media bench and its load generator process (generator.ts). The generator
 * runs in its own process so its CPU is never charged to the system under test.
 */
export type MediaKind = 'pcmu' | 'opus' | 'h264';

export interface EndpointSpec {
  /** Results are summed per role ('room', 'cloud', 'rtpengine-a', ...). */
  role: string;
  /** What this endpoint sends, to 127.0.0.1:port, starting phaseMs into the first period. */
  send?: { kind: MediaKind; port: number; phaseMs: number; payloadType?: number };
  /** What this endpoint expects to receive (late/loss are counted on it). */
  recv?: MediaKind;
  /** Endpoint whose audio onsets this one's arrivals are matched against (latency). */
  peer?: number;
  /** Measure latency on this endpoint's arrivals (audio is decoded to find the onsets). */
  sample?: boolean;
}

export interface RunOptions {
  endpoints: EndpointSpec[];
  /** Traffic before the measured window (JIT, latching, jitter buffers fill). */
  warmupMs: number;
  measureMs: number;
  /** A packet arriving more than this after its schedule is late. */
  lateMs: number;
}

export interface RoleFigures {
  /** Receiving streams of this role. */
  streams: number;
  /** Streams that received nothing in the measured window (counted as fully lost). */
  silentStreams: number;
  received: number;
  /** From the sequence numbers seen in the window (plus the whole window for silent streams). */
  expected: number;
  late: number;
  /** Packets the streams would carry in the window at their nominal rate (work actually done vs offered). */
  nominal: number;
  /** Added one-way latency samples, ms (sampled endpoints only). */
  latencyMs: number[];
}

export interface GeneratorResult {
  byRole: Record<string, RoleFigures>;
  /** Packets the generator sent in the window, and how many left > 5 ms after their schedule. */
  sent: number;
  sentLate: number;
  /** Packets not sent at all in the window because the generator fell > 100 ms behind. */
  skipped: number;
  /** Generator CPU seconds in the window (its own process: not charged to the system under test). */
  cpuSeconds: number;
  windowMs: number;
}

export type ToGenerator =
  | { type: 'open'; count: number }
  | { type: 'run'; options: RunOptions };

export type FromGenerator =
  | { type: 'opened'; ports: number[] }
  | { type: 'measuring' }
  | { type: 'done'; result: GeneratorResult }
  | { type: 'error'; message: string };

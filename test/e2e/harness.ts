// Test harness for end-to-end calls: the embedded meeting service and a gateway, each started as
// the product runs them (the gateway reaches the meeting by its WebSocket URL), on loopback
// ports chosen for this run, with the gateway's log lines captured for assertions.
import { Writable } from 'node:stream';
import winston from 'winston';
import { parseConfig, type GatewayConfig } from '../../config/index.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { startMeetingServer, type MeetingServer } from '../../meeting/index.ts';
import { freeSipPort } from '../helpers/processes.ts';

export interface LogEntry {
  level: string;
  message: string;
  [key: string]: unknown;
}

export interface Harness {
  meeting: MeetingServer;
  gateway: Gateway;
  config: GatewayConfig;
  sipPort: number;
  logs: LogEntry[];
  meetingLogs: LogEntry[];
  /** `sip:<room>@127.0.0.1:<port>` */
  dialUri(room: string): string;
  close(): Promise<void>;
}

export function capturingLogger(logs: LogEntry[]): winston.Logger {
  const sink = new Writable({
    objectMode: true,
    write(info: LogEntry, _enc, done) {
      logs.push(info);
      done();
    },
  });
  return winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
}

/**
 * `sip` adds entries to the gateway's `sip:` flow map (e.g. `timers: { t1Ms: 100 }`), `media` to
 * its `media:` map (e.g. `mediaTimeoutS: 2` or `srtp: required`); `yaml` adds
 * other top-level sections.
 */
export async function startHarness(opts: { mediaPorts: { min: number; max: number }; yaml?: string; sip?: string; media?: string }): Promise<Harness> {
  const meetingLogs: LogEntry[] = [];
  const meeting = await startMeetingServer({ host: '127.0.0.1', port: 0, logger: capturingLogger(meetingLogs) });
  const sipPort = await freeSipPort(0);
  const config = parseConfig(
    [
      `sip: { bind: 127.0.0.1, port: ${sipPort}, advertisedAddress: 127.0.0.1${opts.sip ? `, ${opts.sip}` : ''} }`,
      `media: { bind: 127.0.0.1, advertisedAddress: 127.0.0.1, portRange: { min: ${opts.mediaPorts.min}, max: ${opts.mediaPorts.max} }${opts.media ? `, ${opts.media}` : ''} }`,
      `meeting: { url: "${meeting.wsUrl}" }`,
      'admin: { port: 0 }',
      opts.yaml ?? '',
    ].join('\n'),
  );
  const logs: LogEntry[] = [];
  const gateway = await Gateway.start(config, capturingLogger(logs));
  return {
    meeting,
    gateway,
    config,
    sipPort,
    logs,
    meetingLogs,
    dialUri: (room) => `sip:${room}@127.0.0.1:${sipPort}`,
    async close() {
      await gateway.close();
      await meeting.close();
    },
  };
}

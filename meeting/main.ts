import { createMeetingLogger } from './logger.ts';
import { startMeetingServer } from './server.ts';

/**
 * Standalone meeting service: `npm run meeting`. Env: MEETING_HOST (127.0.0.1), MEETING_PORT (4443),
 * MEETING_ANNOUNCED_ADDRESS, MEETING_RTC_LISTEN_IP (127.0.0.1), MEETING_RTC_MIN_PORT/MAX_PORT,
 * MEETING_LOG_LEVEL (info), MEETING_WORKER_LOG_LEVEL (warn; debug with DEBUG=mediasoup*).
 */
const log = createMeetingLogger();
const env = process.env;
const num = (v: string | undefined): number | undefined => (v ? Number(v) : undefined);

try {
  const server = await startMeetingServer({
    host: env.MEETING_HOST ?? '127.0.0.1',
    port: num(env.MEETING_PORT) ?? 4443,
    ...(env.MEETING_RTC_LISTEN_IP ? { rtcListenIp: env.MEETING_RTC_LISTEN_IP } : {}),
    ...(env.MEETING_ANNOUNCED_ADDRESS ? { announcedAddress: env.MEETING_ANNOUNCED_ADDRESS } : {}),
    ...(env.MEETING_RTC_MIN_PORT ? { rtcMinPort: num(env.MEETING_RTC_MIN_PORT)! } : {}),
    ...(env.MEETING_RTC_MAX_PORT ? { rtcMaxPort: num(env.MEETING_RTC_MAX_PORT)! } : {}),
    logger: log,
  });
  log.info('meeting ready', { url: server.url, wsUrl: server.wsUrl });
  const stop = (signal: string) => {
    log.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error('shutdown failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (err) {
  log.error('meeting failed to start', { error: (err as Error).message });
  process.exitCode = 1;
}

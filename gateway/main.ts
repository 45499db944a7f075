import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, type GatewayConfig } from '../config/index.ts';
import { startAdminApi } from './admin-api.ts';
import { adminTokenPath, resolveAdminToken } from './admin-token.ts';
import { watchConfigFile } from './config-watcher.ts';
import { Gateway } from './gateway.ts';
import { rootLogger } from './logger.ts';

/** `roomgate` gateway process: loads and validates the config, then serves until signalled. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c', default: 'config/default.yaml' } } });
  const configPath = values.config!;
  let config: GatewayConfig;
  try {
    config = loadConfigFile(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`roomgate: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  rootLogger.level = process.env.ROOMGATE_LOG_LEVEL ?? config.logging.level;
  const gateway = await Gateway.start(config, rootLogger);
  let admin: Awaited<ReturnType<typeof startAdminApi>> | undefined;
  if (config.admin.port > 0) {
    const token = resolveAdminToken(config.admin, configPath);
    if (!config.admin.token) rootLogger.info('admin API token', { file: adminTokenPath(config.admin, configPath) });
    admin = await startAdminApi(gateway, { bind: config.admin.bind, port: config.admin.port, token, logger: rootLogger });
  }

  // A new config applies to new calls; an invalid one is refused and the old one stays.
  const reloader = watchConfigFile(configPath, {
    apply: (next) => gateway.applyConfig(next),
    onReloaded: (trigger) => rootLogger.info('configuration reloaded', { file: configPath, trigger }),
    onError: (err, trigger) =>
      rootLogger.error('configuration reload refused; keeping the previous one', { file: configPath, trigger, error: err.message }),
  });
  process.on('SIGHUP', () => reloader.reload('SIGHUP'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rootLogger.info('stopping', { signal });
    reloader.close();
    await gateway.close();
    await admin?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: Error) => {
  rootLogger.error('gateway failed to start', { error: err.message, stack: err.stack });
  process.exit(1);
});

import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile, type GatewayConfig } from '../config/index.ts';
import { startAdminApi } from './admin-api.ts';
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
  const admin = config.admin.port > 0 ? await startAdminApi(gateway, { ...config.admin, logger: rootLogger }) : undefined;

  // A new config applies to new calls; an invalid one is refused and the old one stays.
  process.on('SIGHUP', () => {
    try {
      const next = loadConfigFile(configPath);
      gateway.applyConfig(next);
      rootLogger.info('configuration reloaded', { file: configPath });
    } catch (err) {
      rootLogger.error('configuration reload refused; keeping the previous one', { error: (err as Error).message });
    }
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rootLogger.info('stopping', { signal });
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

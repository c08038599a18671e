import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './config/load.js';
import { resolvePaths } from './config/resolve.js';
import { Controller } from './controller.js';
import { loadEngineFactory } from './engine-loader.js';
import { createLogger } from './logger.js';

export interface RunDaemonOptions {
  configFile?: string;
  env: NodeJS.ProcessEnv;
  /** Where the orderly shutdown is triggered (SIGTERM and SIGINT of this process). */
  signals?: NodeJS.Process;
}

/**
 * `nibble serve`: runs until SIGTERM or SIGINT, then shuts down in order and
 * resolves with the exit code. Start-up problems throw (ConfigError,
 * DaemonStartError, EngineUnavailableError); the CLI turns them into one line.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const env = options.env;
  // Under systemd, ConfigurationDirectory= names /etc/nibble: its config.yaml is used when present.
  const systemdConfig = env.CONFIGURATION_DIRECTORY ? join(env.CONFIGURATION_DIRECTORY.split(':')[0], 'config.yaml') : null;
  const configFile = options.configFile ?? (systemdConfig && existsSync(systemdConfig) ? systemdConfig : undefined);
  const config = loadConfig({ file: configFile, env });
  const logger = createLogger(config.log_level);
  const paths = resolvePaths(config, env);
  let signalled: (name: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => { signalled = resolve; });
  let exitCode = 0;
  const controller = new Controller({
    config, paths, env, logger, engineFactory: () => loadEngineFactory(),
    // systemd's Restart=on-failure brings nibble back after a failure exit.
    onFatal: (reason) => { exitCode = 1; signalled(reason); },
  });
  const proc = options.signals ?? process;

  const onSignal = (name: NodeJS.Signals) => {
    logger.info(`${name} received`);
    signalled(name);
  };
  proc.on('SIGTERM', onSignal);
  proc.on('SIGINT', onSignal);
  try {
    const started = controller.start();
    // A signal during start-up (a long download or model load) stops it too.
    const first = await Promise.race([started.then(() => null), stopRequested]);
    if (first === null) {
      logger.info(`nibble serving (data in ${paths.dataDir})`);
      await stopRequested;
    } else {
      started.catch(() => {});
    }
    await controller.stop();
    return exitCode;
  } catch (err) {
    await controller.stop().catch(() => {});
    throw err;
  } finally {
    proc.off('SIGTERM', onSignal);
    proc.off('SIGINT', onSignal);
  }
}

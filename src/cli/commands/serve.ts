import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const serveCommand: Command = {
  summary: 'run the daemon: answer prompts over MQTT, log every request (SIGTERM/SIGINT stop it)',
  usage: '[--config FILE]   (JSON or YAML; env NIBBLE_MODEL, NIBBLE_MQTT_URL, NIBBLE_BROKER_PORT, NIBBLE_BASE_TOPIC, NIBBLE_DATA_DIR, NIBBLE_THREADS)',
  options: { config: { type: 'string', short: 'c' } },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
    // The daemon (and with it better-sqlite3) loads only here, never for the engine commands.
    const { runDaemon } = await import('../../daemon/run.js');
    const { ConfigError } = await import('../../daemon/config/errors.js');
    const { DaemonStartError } = await import('../../daemon/model-file.js');
    const { EngineUnavailableError } = await import('../../daemon/engine-loader.js');
    try {
      return await runDaemon({ configFile: values.config as string | undefined, env: process.env });
    } catch (err) {
      if (err instanceof ConfigError || err instanceof DaemonStartError || err instanceof EngineUnavailableError) throw new UserError(err.message);
      throw err;
    }
  },
};

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const logCommand: Command = {
  summary: 'show the most recent requests from the request log',
  usage: '[--tail N] [--json]   (reads the database in $NIBBLE_DATA_DIR, default ./data)',
  options: { tail: { type: 'string', short: 'n' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length > 0) throw new UserError(`unexpected argument "${positionals[0]}"`);
    const tailText = (values.tail as string | undefined) ?? '50';
    if (!/^\d+$/.test(tailText) || Number(tailText) < 1) throw new UserError(`--tail must be a positive whole number, got "${tailText}"`);
    const { loadConfig } = await import('../../daemon/config/load.js');
    const { resolvePaths } = await import('../../daemon/config/resolve.js');
    const { ConfigError } = await import('../../daemon/config/errors.js');
    let dataDir: string;
    try {
      dataDir = resolvePaths(loadConfig({ env: process.env }), process.env).dataDir;
    } catch (err) {
      if (err instanceof ConfigError) throw new UserError(err.message);
      throw err;
    }
    const dbPath = join(dataDir, 'nibble.db');
    if (!existsSync(dbPath)) throw new UserError(`no request log at ${dbPath} (set NIBBLE_DATA_DIR to the daemon's data folder)`);
    const { openStore } = await import('../../daemon/store/store.js');
    const { toLogJson, toLogLine } = await import('../../daemon/store/log-format.js');
    const store = await openStore(dbPath, { readonly: true }).catch((err: Error & { code?: string }) => {
      // Under systemd the database belongs to the service user.
      if (err.code?.startsWith('SQLITE_')) throw new UserError(`cannot read ${dbPath}: ${err.message} (try as the service user: sudo -u nibble nibble log)`);
      throw err;
    });
    try {
      // Oldest first, as `tail` shows a log.
      const rows = store.recent(Number(tailText)).reverse();
      process.stdout.write(values.json ? `${JSON.stringify(rows.map(toLogJson))}\n` : rows.map(toLogLine).join(''));
    } finally {
      store.close();
    }
    return 0;
  },
};

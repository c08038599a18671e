import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const pullCommand: Command = {
  summary: 'download a GGUF model from the Hugging Face hub (resumes, checks sha256)',
  usage: 'REPO/FILE   (into $NIBBLE_MODELS_DIR, default <data dir>/models; HF_ENDPOINT overrides the hub)',
  options: {},
  async run(_values, positionals) {
    if (positionals.length !== 1) throw new UserError('give exactly one REPO/FILE, e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf');
    const { pull } = await import('../../hub/download.js');
    const { HubError } = await import('../../hub/errors.js');
    const { loadConfig } = await import('../../daemon/config/load.js');
    const { resolvePaths } = await import('../../daemon/config/resolve.js');
    const { ConfigError } = await import('../../daemon/config/errors.js');
    try {
      const { modelsDir } = resolvePaths(loadConfig({ env: process.env }), process.env);
      const r = await pull({ spec: positionals[0], modelsDir, env: process.env });
      if (r.alreadyPresent) process.stderr.write(`already downloaded and verified\n`);
      else if (r.sha256 === null) process.stderr.write('note: the hub gave no sha256 for this file, so it was not checked\n');
      process.stdout.write(`${r.path}\n`);
      return 0;
    } catch (err) {
      if (err instanceof HubError || err instanceof ConfigError) throw new UserError(err.message);
      throw err;
    }
  },
};

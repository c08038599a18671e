import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { defaultModel, type ResolvedPaths } from './config/resolve.js';
import type { Logger } from './logger.js';

/** The daemon cannot start; the message is one line the user can act on. */
export class DaemonStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonStartError';
  }
}

/**
 * Makes sure the model file exists: a configured path must exist; the
 * default model is downloaded on first start. Offline, the error says how to
 * point NIBBLE_MODEL at a local file.
 */
export async function ensureModel(paths: ResolvedPaths, env: NodeJS.ProcessEnv, logger: Logger, onStatus: (s: string) => void, signal?: AbortSignal): Promise<string> {
  const path = await findOrPull(paths, env, logger, onStatus, signal);
  checkGgufMagic(path);
  return path;
}

/** A file that is not GGUF at all gets a clear line here, before an engine is started for it. */
function checkGgufMagic(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    const n = readSync(fd, magic, 0, 4, 0);
    if (n < 4 || magic.toString('latin1') !== 'GGUF') throw new DaemonStartError(`model file ${path} is not a GGUF file (it does not start with "GGUF")`);
  } finally {
    closeSync(fd);
  }
}

async function findOrPull(paths: ResolvedPaths, env: NodeJS.ProcessEnv, logger: Logger, onStatus: (s: string) => void, signal?: AbortSignal): Promise<string> {
  if (existsSync(paths.modelPath)) return paths.modelPath;
  if (!paths.modelIsDefault) {
    throw new DaemonStartError(`model file ${paths.modelPath} does not exist (set by NIBBLE_MODEL or engine.model)`);
  }
  const spec = `${defaultModel.repo}/${defaultModel.file}`;
  logger.info(`no model yet: downloading the default model ${spec} into ${paths.modelsDir}`);
  onStatus(`downloading ${defaultModel.file}`);
  const { pull } = await import('../hub/download.js');
  const { HubError, HubUnreachableError } = await import('../hub/errors.js');
  try {
    const r = await pull({ spec, modelsDir: paths.modelsDir, env, ...(signal ? { signal } : {}) });
    return r.path;
  } catch (err) {
    if (err instanceof HubUnreachableError) {
      throw new DaemonStartError(`no model at ${paths.modelPath} and the hub is unreachable (${err.message}); set NIBBLE_MODEL=/path/to/model.gguf to use a local GGUF file`);
    }
    if (err instanceof HubError) throw new DaemonStartError(`downloading the default model failed: ${err.message}; or set NIBBLE_MODEL=/path/to/model.gguf to use a local GGUF file`);
    throw err;
  }
}

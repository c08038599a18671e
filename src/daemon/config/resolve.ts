import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { NibbleConfig } from './schema.js';

/** The default model: see README ("Which model"). Small enough for a Pi 4 with 2 GB, instruction-tuned, with a chat template. */
export const defaultModel = {
  repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
  file: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
} as const;

/** Values the config leaves to the machine, made concrete. */
export interface ResolvedPaths {
  dataDir: string;
  modelsDir: string;
  /** The model to load; `modelIsDefault` says it came from no setting. */
  modelPath: string;
  modelIsDefault: boolean;
  baseTopic: string;
  clientId: string;
}

/** A topic level made from the host name: MQTT wildcards and separators removed. */
export function hostTopicName(name = hostname()): string {
  return name.replace(/[+#/\s]/g, '_') || 'nibble';
}

export function resolvePaths(config: NibbleConfig, env: NodeJS.ProcessEnv, cwd = process.cwd()): ResolvedPaths {
  // systemd's StateDirectory= sets STATE_DIRECTORY (possibly a colon-separated list: the first is ours).
  const stateDir = env.STATE_DIRECTORY?.split(':')[0];
  const dataDir = resolve(cwd, config.store.data_dir ?? stateDir ?? './data');
  const modelsDir = resolve(cwd, config.engine.models_dir ?? env.NIBBLE_MODELS_DIR ?? join(dataDir, 'models'));
  const modelIsDefault = config.engine.model === null;
  const modelPath = modelIsDefault ? join(modelsDir, defaultModel.file) : resolve(cwd, config.engine.model!);
  const host = hostTopicName();
  return {
    dataDir,
    modelsDir,
    modelPath,
    modelIsDefault,
    baseTopic: (config.mqtt.base_topic ?? `nibble/${host}`).replace(/\/+$/, ''),
    clientId: config.mqtt.client_id ?? `nibble-${host}`,
  };
}

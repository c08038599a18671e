import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { configSchema, envOverrides, type NibbleConfig, type ObjectKey, type SchemaNode } from './schema.js';

/** The schema's defaults as a config. */
export function defaultConfig(): NibbleConfig {
  return defaultsOf(configSchema) as NibbleConfig;
}

/**
 * Loads a config: defaults, then the file (JSON or YAML, by extension; any
 * other extension is tried as YAML, which JSON is a subset of), then the
 * environment overrides. Throws ConfigError naming the source and key.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): NibbleConfig {
  const config = defaultConfig() as unknown as Record<string, unknown>;
  if (options.file) {
    const data = readConfigFile(options.file);
    mergeValidated(configSchema, data, config, '', options.file);
  }
  const env = options.env ?? {};
  for (const [name, key] of Object.entries(envOverrides)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const node = nodeAt(key);
    setAt(config, key, fromEnvString(node, raw, name));
  }
  checkConsistency(config as unknown as NibbleConfig, options.file ?? 'the configuration');
  return config as unknown as NibbleConfig;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  try {
    const data = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
    // An empty YAML file is an empty config, not an error.
    return data ?? {};
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function mergeValidated(schema: ObjectKey, data: unknown, target: Record<string, unknown>, prefix: string, source: string): void {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(`${prefix ? `"${prefix}"` : 'the top level'} in ${source} must be a mapping of keys, got ${describe(data)}`);
  }
  for (const [key, value] of Object.entries(data)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const node = schema.properties[key];
    if (!node) throw new ConfigError(`unknown key "${path}" in ${source}`);
    if (node.type === 'object') {
      mergeValidated(node, value, target[key] as Record<string, unknown>, path, source);
    } else {
      target[key] = checkLeaf(node, value, `"${path}" in ${source}`);
    }
  }
}

/** Validates one leaf value; `where` names it in the error. */
function checkLeaf(node: Exclude<SchemaNode, ObjectKey>, value: unknown, where: string): unknown {
  switch (node.type) {
    case 'string':
      if (value === null) return null;
      if (typeof value !== 'string') throw new ConfigError(`${where} must be a string, got ${describe(value)}`);
      if (node.enum && !node.enum.includes(value)) {
        throw new ConfigError(`${where} must be one of ${node.enum.join(', ')}, got ${JSON.stringify(value)}`);
      }
      return value;
    case 'integer':
    case 'number': {
      const isInt = node.type === 'integer';
      if (typeof value !== 'number' || !Number.isFinite(value) || (isInt && !Number.isInteger(value))
        || value < node.minimum || value > node.maximum) {
        throw new ConfigError(`${where} must be ${isInt ? 'an integer' : 'a number'} from ${node.minimum} to ${node.maximum}, got ${describe(value)}`);
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(`${where} must be true or false, got ${describe(value)}`);
      return value;
  }
}

function fromEnvString(node: SchemaNode, raw: string, name: string): unknown {
  const where = `environment variable ${name}`;
  if (node.type === 'integer' || node.type === 'number') {
    const pattern = node.type === 'integer' ? /^\s*-?\d+\s*$/ : /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
    if (!pattern.test(raw)) throw new ConfigError(`${where} must be ${node.type === 'integer' ? 'an integer' : 'a number'} from ${node.minimum} to ${node.maximum}, got ${JSON.stringify(raw)}`);
    return checkLeaf(node, Number(raw), where);
  }
  if (node.type === 'boolean') {
    if (!['true', 'false', '1', '0'].includes(raw)) throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
    return raw === 'true' || raw === '1';
  }
  if (node.type === 'object') throw new Error(`env override ${name} points at a section`);
  return checkLeaf(node, raw, where);
}

function checkConsistency(config: NibbleConfig, source: string): void {
  if (config.mqtt.reconnect_min_ms > config.mqtt.reconnect_max_ms) {
    throw new ConfigError(`"mqtt.reconnect_min_ms" (${config.mqtt.reconnect_min_ms}) in ${source} is above "mqtt.reconnect_max_ms" (${config.mqtt.reconnect_max_ms})`);
  }
  const base = config.mqtt.base_topic;
  if (base !== null && (base.replace(/\/+$/, '') === '' || /[+#]/.test(base) || base.startsWith('$'))) {
    throw new ConfigError(`"mqtt.base_topic" must be a topic without wildcards (+ #) or a leading $, got ${JSON.stringify(base)}`);
  }
  const url = config.mqtt.url;
  if (url !== null && !/^(mqtts?|wss?|tcp|ssl):\/\/[^/]/.test(url)) {
    throw new ConfigError(`"mqtt.url" must be an mqtt://, mqtts://, ws:// or wss:// address, got ${JSON.stringify(url)}`);
  }
}

function defaultsOf(node: SchemaNode): unknown {
  if (node.type !== 'object') return node.default;
  return Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, defaultsOf(v)]));
}

function nodeAt(path: string): SchemaNode {
  let node: SchemaNode = configSchema;
  for (const part of path.split('.')) {
    if (node.type !== 'object' || !node.properties[part]) throw new Error(`schema has no key ${path}`);
    node = node.properties[part];
  }
  return node;
}

function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target;
  for (const part of parts.slice(0, -1)) obj = obj[part] as Record<string, unknown>;
  obj[parts[parts.length - 1]] = value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

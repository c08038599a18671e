// Wires the daemon's real parts (store on a real SQLite file, queue, bus, MQTT
// plugin on a real broker) the way the controller does, for tests of those
// parts that need no engine.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../../src/daemon/bus.js';
import { loadConfig } from '../../../src/daemon/config/load.js';
import type { NibbleConfig } from '../../../src/daemon/config/schema.js';
import { createLogger } from '../../../src/daemon/logger.js';
import { MqttPlugin } from '../../../src/daemon/plugins/mqtt.js';
import { RequestQueue } from '../../../src/daemon/queue.js';
import { openStore, type RequestStore } from '../../../src/daemon/store/store.js';

export interface Harness {
  config: NibbleConfig;
  store: RequestStore;
  bus: EventBus;
  queue: RequestQueue;
  plugin: MqttPlugin;
  logs: string[];
  dbPath: string;
  base: string;
  close(): Promise<void>;
}

export async function harness(options: { env?: Record<string, string>; tweak?: (c: NibbleConfig) => void; dbPath?: string; store?: RequestStore } = {}): Promise<Harness> {
  const config = loadConfig({ env: { NIBBLE_BROKER_PORT: '0', ...options.env } });
  options.tweak?.(config);
  const dbPath = options.dbPath ?? join(mkdtempSync(join(tmpdir(), 'nibble-h-')), 'nibble.db');
  const store = options.store ?? await openStore(dbPath);
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l), false);
  const bus = new EventBus({ logger });
  const queue = new RequestQueue({ store, bus, logger, capacity: config.requests.queue_capacity, timeoutMs: config.requests.timeout_s * 1000 });
  const base = config.mqtt.base_topic ?? `test/${Math.random().toString(36).slice(2, 8)}`;
  const plugin = new MqttPlugin({ config, baseTopic: base, clientId: `nibble-test-${base.replace(/\W/g, '')}`, bus, queue, store, logger });
  return {
    config, store, bus, queue, plugin, logs, dbPath, base,
    async close() {
      await queue.stop(0);
      await plugin.stop();
      store.close();
    },
  };
}

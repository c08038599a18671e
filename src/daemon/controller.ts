import { join } from 'node:path';
import { EventBus, type DaemonState } from './bus.js';
import type { ResolvedPaths } from './config/resolve.js';
import type { NibbleConfig } from './config/schema.js';
import type { EngineFactory, InferenceEngine } from './engine-port.js';
import type { Logger } from './logger.js';
import { ensureModel } from './model-file.js';
import { checkPluginSections } from './plugins/config-checks.js';
import { GpioPlugin } from './plugins/gpio.js';
import { MqttPlugin } from './plugins/mqtt.js';
import type { Plugin } from './plugins/plugin.js';
import { SerialPlugin } from './plugins/serial.js';
import { RequestQueue } from './queue.js';
import { openStore, type RequestStore } from './store/store.js';
import { SystemdNotifier } from './systemd.js';

export interface ControllerOptions {
  config: NibbleConfig;
  paths: ResolvedPaths;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Provides the engine; called once the model file is there (the engine module loads lazily). */
  engineFactory: () => Promise<EngineFactory>;
  /** Called when the daemon cannot go on (the engine died) and must stop with a failure exit code. */
  onFatal?: (reason: string) => void;
}

const RETENTION_EVERY_MS = 3600_000;
const PLUGIN_RETRY_MIN_MS = 2000;
const PLUGIN_RETRY_MAX_MS = 60_000;

/**
 * Wires the daemon: store -> recovery -> bus and queue -> plugins -> engine,
 * and takes it down in the reverse order. Sources and sinks are plugins; a
 * plugin that fails to start is reported and retried, never fatal.
 */
export class Controller {
  store: RequestStore | null = null;
  bus: EventBus | null = null;
  queue: RequestQueue | null = null;
  plugins: Plugin[] = [];
  private engine: InferenceEngine | null = null;
  private readonly notifier: SystemdNotifier;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;
  private readonly startAbort = new AbortController();

  constructor(private readonly options: ControllerOptions) {
    this.notifier = new SystemdNotifier({ env: options.env, logger: options.logger, isAlive: () => this.engine?.isAlive() ?? false });
  }

  async start(): Promise<void> {
    const { config, paths, logger } = this.options;
    // Mistakes in the gpio/serial/homeassistant/fleet sections stop the start with one clear line.
    for (const warning of checkPluginSections(config)) logger.warn(warning);
    this.notifier.status('starting');
    const dbPath = join(paths.dataDir, 'nibble.db');
    const store = await openStore(dbPath);
    this.store = store;
    const recovered = store.recover(config.requests.recovery);
    const queued = store.queued();
    logger.info(`request log ${dbPath}: ${queued.length} queued to run (${recovered.rerun} cut off and run again), ${recovered.interrupted} marked interrupted`);
    this.prune();
    this.timers.push(setInterval(() => this.prune(), RETENTION_EVERY_MS).unref());

    const bus = new EventBus({ logger });
    this.bus = bus;
    const queue = new RequestQueue({ store, bus, logger, capacity: config.requests.queue_capacity, timeoutMs: config.requests.timeout_s * 1000 });
    this.queue = queue;
    queue.restore(queued);
    bus.on('state', (s) => { if (!this.stopping) this.notifier.status(statusLine(s)); });
    bus.on('engine.failed', ({ message }) => {
      logger.error(`the engine died (${message}); stopping so that nibble is restarted (queued requests run after the restart)`);
      this.options.onFatal?.(`engine failed: ${message}`);
    });

    if (config.mqtt.enabled) {
      this.plugins.push(new MqttPlugin({ config, baseTopic: paths.baseTopic, clientId: paths.clientId, bus, queue, store, logger }));
    }
    // Serial before GPIO, so a button answer routed to the serial line finds it listening.
    if (config.serial.enabled) this.plugins.push(new SerialPlugin({ config, bus, queue, store, logger }));
    if (config.gpio.enabled) {
      const mqtt = this.plugins.find((p): p is MqttPlugin => p instanceof MqttPlugin);
      this.plugins.push(new GpioPlugin({ config, baseTopic: paths.baseTopic, bus, queue, logger, onUnavailable: (m) => mqtt?.note('gpio', `unavailable: ${m}`) }));
    }
    for (const plugin of this.plugins) await this.startPlugin(plugin, PLUGIN_RETRY_MIN_MS);

    const modelPath = await ensureModel(paths, this.options.env, logger, (s) => this.notifier.status(s), this.startAbort.signal);
    if (this.stopping) return;
    this.notifier.status(`loading ${modelPath}`);
    const engine = (await this.options.engineFactory())();
    this.engine = engine;
    const t0 = Date.now();
    const info = await engine.load(modelPath, { threads: config.engine.threads, contextSize: config.engine.context_size });
    logger.info(`model ${info.name} (${info.architecture}, context ${info.contextSize}) loaded in ${Date.now() - t0} ms`);
    if (this.stopping) return;
    queue.start(engine, info.name);
    await this.notifier.ready(statusLine({ state: queue.runningRequest ? 'busy' : 'idle', model: info.name, queue: queue.length, running: null }));
    this.notifier.startWatchdog();
  }

  /** The orderly shutdown for SIGTERM and SIGINT alike; safe to call twice. */
  stop(): Promise<void> {
    this.startAbort.abort();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { config, logger } = this.options;
    const running = this.queue?.runningRequest;
    logger.info(`stopping${running ? `: giving request ${running.id} up to ${config.shutdown_grace_s} s to finish` : ''}`);
    this.notifier.stopWatchdog();
    void this.notifier.stopping(running ? `stopping: finishing request ${running.id}` : 'stopping');
    for (const t of this.timers) clearTimeout(t);
    await this.queue?.stop(config.shutdown_grace_s * 1000);
    logger.debug('queue stopped');
    // Sinks go down after the queue, so the answer of a request that finished within the grace time is still sent.
    for (const plugin of [...this.plugins].reverse()) {
      await plugin.stop().catch((err) => logger.error(`stopping plugin ${plugin.name} failed: ${(err as Error).message}`));
    }
    logger.debug('plugins stopped');
    await this.engine?.close().catch((err) => logger.error(`closing the engine failed: ${(err as Error).message}`));
    logger.debug('engine closed');
    this.store?.close();
    await this.notifier.flush();
    logger.info('stopped');
  }

  private async startPlugin(plugin: Plugin, delay: number): Promise<void> {
    try {
      await plugin.start();
    } catch (err) {
      this.options.logger.error(`plugin ${plugin.name} failed to start: ${(err as Error).message}; retrying in ${delay / 1000} s`);
      await plugin.stop().catch(() => {});
      const timer = setTimeout(() => {
        if (!this.stopping) void this.startPlugin(plugin, Math.min(delay * 2, PLUGIN_RETRY_MAX_MS));
      }, delay);
      timer.unref();
      this.timers.push(timer);
    }
  }

  private prune(): void {
    const s = this.options.config.store;
    const n = this.store?.prune(s.retention_days, s.retention_max_rows) ?? 0;
    if (n > 0) this.options.logger.info(`retention: deleted ${n} old requests`);
  }
}

function statusLine(s: DaemonState): string {
  if (s.state === 'loading') return `loading model; ${s.queue} queued`;
  if (s.state === 'busy') return `busy: ${s.queue} queued`;
  return s.state;
}

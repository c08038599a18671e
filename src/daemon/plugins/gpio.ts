import { randomBytes } from 'node:crypto';
import type { DaemonState, EventBus } from '../bus.js';
import type { NibbleConfig } from '../config/schema.js';
import { pickChip, readChips, sysfsLine } from '../gpio/chip.js';
import { GpioUnavailableError, type GpioDriver, type GpioInput } from '../gpio/driver.js';
import { defaultLedTimings, Led, type LedPattern, type LedTimings } from '../gpio/led.js';
import { checkPresetTemplate, renderPreset } from '../gpio/preset.js';
import type { Logger } from '../logger.js';
import type { RequestQueue } from '../queue.js';
import type { NewRequest, StoredRequest } from '../request.js';
import type { Plugin } from './plugin.js';

export interface GpioPluginOptions {
  config: NibbleConfig;
  baseTopic: string;
  bus: EventBus;
  queue: RequestQueue;
  logger: Logger;
  /** Loads the driver; default: onoff, imported only now (a native add-on). */
  loadDriver?: () => Promise<GpioDriver>;
  /** The sysfs GPIO folder whose gpiochip entries give the chip base. */
  sysfsRoot?: string;
  now?: () => Date;
  ledTimings?: LedTimings;
  /** Called once when GPIO turns out to be unavailable (the MQTT state shows it). */
  onUnavailable?: (message: string) => void;
}

const SOURCE = 'gpio';

const statePattern: Record<DaemonState['state'], LedPattern> = { loading: 'slow', busy: 'on', idle: 'off', stopping: 'off' };

/**
 * A push button that runs the preset prompt, and an LED that shows the
 * daemon's state. Where GPIO is unavailable it says so once and stays idle:
 * the rest of the daemon runs on.
 */
export class GpioPlugin implements Plugin {
  readonly name = 'gpio';
  private button: GpioInput | null = null;
  private led: Led | null = null;
  private unsubscribe: (() => void)[] = [];
  /** The button's request still queued or running: a press meanwhile is ignored. */
  private pending: string | null = null;
  private reported = false;

  constructor(private readonly options: GpioPluginOptions) {}

  /** Why GPIO is not in use, once start() found out; null while it works. */
  unavailable: string | null = null;

  async start(): Promise<void> {
    const { config, logger } = this.options;
    const g = config.gpio;
    checkPresetTemplate(g.preset_prompt ?? '');
    try {
      const driver = await (this.options.loadDriver ?? defaultDriver)();
      const chip = pickChip(readChips(this.options.sysfsRoot), g.chip_label);
      if (g.led_pin >= 0) {
        const line = sysfsLine(chip, g.led_pin);
        this.led = new Led({ output: driver.openOutput(line, { activeLow: g.led_active_low }), timings: this.options.ledTimings ?? defaultLedTimings });
        logger.info(`gpio: LED on BCM ${g.led_pin} (sysfs ${line}, ${chip.label} base ${chip.base})`);
      }
      if (g.button_pin >= 0) {
        const line = sysfsLine(chip, g.button_pin);
        const pressedValue = g.edge === 'falling' ? 0 : 1;
        this.button = driver.openInput(line, { edge: g.edge, activeLow: g.active_low, debounceMs: g.debounce_ms }, (value) => {
          if (value === pressedValue) this.press();
        });
        logger.info(`gpio: button on BCM ${g.button_pin} (sysfs ${line}, ${chip.label} base ${chip.base}), ${g.edge} edge, ${g.active_low ? 'active low' : 'active high'}, debounce ${g.debounce_ms} ms`);
      }
    } catch (err) {
      if (!(err instanceof GpioUnavailableError)) throw err;
      this.closePins();
      this.reportUnavailable(err.message);
      return;
    }
    // The controller starts plugins before it loads the model, so the state
    // is "loading" now; later changes arrive as state events.
    this.led?.show(statePattern.loading);
    const { bus } = this.options;
    this.unsubscribe.push(
      bus.on('state', (s) => this.led?.show(statePattern[s.state])),
      bus.on('request.finished', (row) => this.finished(row)),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.closePins();
  }

  /** Runs the preset prompt, as a button press does (the Home Assistant button uses it too). */
  press(): StoredRequest | null {
    const { config, logger, queue } = this.options;
    if (this.pending) {
      logger.info(`gpio: button pressed while request ${this.pending} is still unfinished; ignored`);
      return null;
    }
    const row = queue.submit(presetRequest(config, this.options.baseTopic, SOURCE, (this.options.now ?? (() => new Date()))()));
    logger.info(`gpio: button pressed: request ${row.id} ${row.status === 'queued' ? 'queued' : `refused (${row.error?.code})`}`);
    if (row.status === 'queued') this.pending = row.id;
    return row;
  }

  private finished(row: StoredRequest): void {
    if (row.source === SOURCE && row.id === this.pending) this.pending = null;
    if (row.status === 'error' || row.status === 'interrupted') this.led?.error();
    if (row.source === SOURCE && this.options.config.gpio.answer_to === 'log') {
      this.options.logger.info(`gpio: answer to ${row.id}: ${row.error ? `error ${row.error.code}: ${row.error.message}` : JSON.stringify(row.answer)}`);
    }
  }

  private reportUnavailable(message: string): void {
    this.unavailable = message;
    if (this.reported) return;
    this.reported = true;
    this.options.logger.warn(`gpio: not available, the button and LED are off (the rest of nibble runs on): ${message}`);
    this.options.onUnavailable?.(message);
  }

  private closePins(): void {
    try { this.button?.close(); } catch (err) { this.options.logger.warn(`gpio: closing the button: ${(err as Error).message}`); }
    try { this.led?.close(); } catch (err) { this.options.logger.warn(`gpio: closing the LED: ${(err as Error).message}`); }
    this.button = null;
    this.led = null;
  }
}

async function defaultDriver(): Promise<GpioDriver> {
  return (await import('../gpio/onoff-driver.js')).loadOnoffDriver();
}

/** The request a button press (or the Home Assistant button) makes: the preset prompt, answered where gpio.answer_to says. */
export function presetRequest(config: NibbleConfig, baseTopic: string, source: string, now: Date): NewRequest {
  const g = config.gpio;
  const r = config.requests;
  const toMqtt = g.answer_to === 'mqtt' || g.answer_to === 'mqtt+serial';
  return {
    id: `${source}-${randomBytes(4).toString('hex')}`,
    source,
    prompt: renderPreset(g.preset_prompt ?? '', now),
    messages: null,
    system: null,
    params: { max_tokens: r.default_max_tokens, temperature: r.default_temperature, stream: false },
    reply: toMqtt ? { topic: g.answer_topic ?? `${baseTopic}/answer`, correlation: null } : null,
    dedupKey: null,
  };
}

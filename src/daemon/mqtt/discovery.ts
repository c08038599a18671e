import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NibbleConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Topics } from './topics.js';
import type { PublishOptions } from './transport.js';

// Home Assistant MQTT discovery, device-based: one retained message on
// <prefix>/device/<node_id>/config describes the device, its origin and all
// its entities ("cmps"); an empty retained payload on the same topic removes
// them. Keys use Home Assistant's documented abbreviations (dev, o, cmps, p,
// ids, mf, mdl, sw, url, cmd_t, stat_t, val_tpl, json_attr_t, avty_t, uniq_id).

/** nibble's version, from its package.json (two folders above src/daemon/mqtt and dist/daemon/mqtt alike). */
export function nibbleVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Discovery ids may hold only [a-zA-Z0-9_-]. */
export function discoveryId(text: string): string {
  return text.replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'nibble';
}

export interface DiscoveryMessage {
  topic: string;
  /** The JSON object; null for the removal message (an empty payload). */
  payload: Record<string, unknown> | null;
}

export interface DiscoveryInput {
  config: NibbleConfig;
  topics: Topics;
  version: string;
}

/** Where the Home Assistant button publishes; the MQTT plugin runs the preset prompt for it. */
export const presetTopic = (base: string) => `${base}/preset`;

export function nodeIdOf(config: NibbleConfig, baseTopic: string): string {
  return discoveryId(config.homeassistant.node_id ?? baseTopic);
}

export function discoveryTopic(config: NibbleConfig, nodeId: string): string {
  return `${config.homeassistant.discovery_prefix ?? 'homeassistant'}/device/${nodeId}/config`;
}

/** The device-based discovery message for this appliance. */
export function discoveryMessage({ config, topics, version }: DiscoveryInput, baseTopic: string): DiscoveryMessage {
  const node = nodeIdOf(config, baseTopic);
  const id = (what: string) => `${node}_${what}`;
  return {
    topic: discoveryTopic(config, node),
    payload: {
      dev: {
        ids: [`nibble_${node}`],
        name: config.homeassistant.device_name ?? `nibble ${hostname()}`,
        mf: 'nibble',
        mdl: 'nibble LLM appliance',
        sw: version,
      },
      o: { name: 'nibble', sw: version, ...(config.homeassistant.support_url ? { url: config.homeassistant.support_url } : {}) },
      // The retained online/offline topic that is also the last will.
      avty_t: topics.status,
      pl_avail: 'online',
      pl_not_avail: 'offline',
      qos: 1,
      cmps: {
        [id('ask')]: {
          p: 'text', name: 'Ask', uniq_id: id('ask'), cmd_t: topics.ask,
          // A text entity's state, like every state, is at most 255 characters.
          min: 1, max: 255, mode: 'text', icon: 'mdi:chat-question',
        },
        [id('answer')]: {
          p: 'sensor', name: 'Answer', uniq_id: id('answer'), stat_t: topics.answer,
          // The state is cut to 255 characters; the whole answer is in the attributes (text, id, finish_reason, ...).
          val_tpl: "{{ (value_json.text if value_json.text is defined else ('error: ' ~ value_json.error.message))[:255] }}",
          json_attr_t: topics.answer, icon: 'mdi:chat',
        },
        [id('preset')]: {
          p: 'button', name: 'Run preset prompt', uniq_id: id('preset'), cmd_t: presetTopic(baseTopic), pl_prs: 'PRESS', icon: 'mdi:gesture-tap-button',
        },
        [id('state')]: {
          p: 'sensor', name: 'State', uniq_id: id('state'), stat_t: topics.state,
          val_tpl: '{{ value_json.state }}', json_attr_t: topics.state, icon: 'mdi:state-machine',
        },
      },
    },
  };
}

/** The message that removes the device and its entities from Home Assistant. */
export function removalMessage(config: NibbleConfig, baseTopic: string): DiscoveryMessage {
  return { topic: discoveryTopic(config, nodeIdOf(config, baseTopic)), payload: null };
}

export interface HomeAssistantDiscoveryOptions {
  config: NibbleConfig;
  baseTopic: string;
  topics: Topics;
  publish: (topic: string, payload: string, options: PublishOptions) => Promise<void>;
  logger: Logger;
  /** Runs the preset prompt (the button entity was pressed). */
  onPreset: () => void;
}

/**
 * Announces nibble to Home Assistant at start and again whenever Home
 * Assistant says it is online on <prefix>/status (it forgets non-retained
 * state when it restarts), and takes the button's presses.
 */
export class HomeAssistantDiscovery {
  constructor(private readonly options: HomeAssistantDiscoveryOptions) {}

  get birthTopic(): string { return `${this.options.config.homeassistant.discovery_prefix ?? 'homeassistant'}/status`; }
  get presetTopic(): string { return presetTopic(this.options.baseTopic); }

  /** Topics to subscribe to besides the ask and cancel topics. */
  subscriptions(): string[] { return [this.birthTopic, this.presetTopic]; }

  /** Handles a message on one of its topics; false for any other topic. */
  handle(topic: string, payload: Buffer): boolean {
    if (topic === this.birthTopic) {
      if (payload.toString('utf8').trim() === 'online') void this.announce();
      return true;
    }
    if (topic === this.presetTopic) {
      this.options.onPreset();
      return true;
    }
    return false;
  }

  async announce(): Promise<void> {
    const { config, topics, baseTopic, logger } = this.options;
    const msg = discoveryMessage({ config, topics, version: nibbleVersion() }, baseTopic);
    try {
      await this.options.publish(msg.topic, JSON.stringify(msg.payload), { qos: 1, retain: true });
      logger.info(`homeassistant: announced on ${msg.topic}`);
    } catch (err) {
      logger.warn(`homeassistant: announcing on ${msg.topic} failed: ${(err as Error).message}`);
    }
  }
}

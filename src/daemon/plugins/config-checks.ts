import { ConfigError } from '../config/errors.js';
import type { NibbleConfig } from '../config/schema.js';
import { checkPresetTemplate, PresetTemplateError } from '../gpio/preset.js';

const topicProblem = (topic: string) => (topic.replace(/\/+$/, '') === '' ? 'is empty'
  : /[+#]/.test(topic) ? 'holds an MQTT wildcard (+ or #)'
    : topic.startsWith('$') ? 'starts with $ (reserved for the broker)' : null);

/**
 * Checks of the gpio, serial, homeassistant and fleet sections that the
 * schema's types cannot express. Runs at start, so a mistake is one clear
 * line before anything is opened. Returns warnings (things that work but
 * probably not as meant); throws ConfigError for what cannot work.
 */
export function checkPluginSections(config: NibbleConfig): string[] {
  const warnings: string[] = [];
  const fail = (key: string, problem: string, value: unknown) => {
    throw new ConfigError(`"${key}" ${problem}, got ${JSON.stringify(value)}`);
  };
  const g = config.gpio;
  if (g.enabled) {
    try {
      checkPresetTemplate(g.preset_prompt ?? '');
    } catch (err) {
      if (err instanceof PresetTemplateError) throw new ConfigError(err.message);
      throw err;
    }
    if (g.button_pin >= 0 && g.button_pin === g.led_pin) fail('gpio.led_pin', 'is the same pin as gpio.button_pin', g.led_pin);
    if (g.answer_topic !== null && topicProblem(g.answer_topic)) fail('gpio.answer_topic', topicProblem(g.answer_topic)!, g.answer_topic);
    if ((g.answer_to === 'serial' || g.answer_to === 'mqtt+serial') && !config.serial.enabled) {
      warnings.push('gpio.answer_to sends button answers to the serial line, but serial.enabled is false');
    }
    if ((g.answer_to === 'mqtt' || g.answer_to === 'mqtt+serial') && !config.mqtt.enabled) {
      warnings.push('gpio.answer_to sends button answers to MQTT, but mqtt.enabled is false');
    }
  }
  const s = config.serial;
  if (s.enabled) {
    if (!s.device) fail('serial.device', 'must name a device such as /dev/serial0', s.device);
    if (s.reconnect_min_ms > s.reconnect_max_ms) fail('serial.reconnect_min_ms', `is above "serial.reconnect_max_ms" (${s.reconnect_max_ms})`, s.reconnect_min_ms);
  }
  const ha = config.homeassistant;
  if (ha.node_id !== null && !/^[a-zA-Z0-9_-]+$/.test(ha.node_id)) fail('homeassistant.node_id', 'may hold only letters, digits, _ and -', ha.node_id);
  if (ha.discovery_prefix !== null && topicProblem(ha.discovery_prefix)) fail('homeassistant.discovery_prefix', topicProblem(ha.discovery_prefix)!, ha.discovery_prefix);
  if (ha.support_url !== null && !/^https?:\/\/\S+$/.test(ha.support_url)) fail('homeassistant.support_url', 'must be an http:// or https:// address', ha.support_url);
  const f = config.fleet;
  if (f.base_topic !== null) {
    if (topicProblem(f.base_topic)) fail('fleet.base_topic', topicProblem(f.base_topic)!, f.base_topic);
    if (!f.group || /[/+#\s]/.test(f.group)) fail('fleet.group', 'must be a non-empty name without /, +, # or spaces', f.group);
    if (f.base_topic.replace(/\/+$/, '') === (config.mqtt.base_topic ?? '').replace(/\/+$/, '')) {
      fail('fleet.base_topic', 'must differ from mqtt.base_topic (the fleet topic is shared, the base topic is this appliance\'s own)', f.base_topic);
    }
  }
  return warnings;
}

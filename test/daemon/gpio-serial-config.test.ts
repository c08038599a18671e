// The checks of the gpio, serial, homeassistant and fleet sections that run
// at start: each mistake is one ConfigError naming the key.
import t from 'tap';
import { loadConfig } from '../../src/daemon/config/load.js';
import type { NibbleConfig } from '../../src/daemon/config/schema.js';
import { checkPluginSections } from '../../src/daemon/plugins/config-checks.js';

const withConfig = (tweak: (c: NibbleConfig) => void) => {
  const c = loadConfig({});
  tweak(c);
  return () => checkPluginSections(c);
};

t.test('the defaults and the sections of a working setup pass', async (t) => {
  t.same(checkPluginSections(loadConfig({})), []);
  t.same(withConfig((c) => {
    c.gpio.enabled = true; c.serial.enabled = true; c.gpio.answer_to = 'mqtt+serial';
    c.fleet.base_topic = 'nibble/fleet'; c.homeassistant.node_id = 'kitchen_pi-2'; c.homeassistant.support_url = 'https://example.org/x';
  })(), []);
});

t.test('mistakes are ConfigErrors naming the key', async (t) => {
  const cases: [string, (c: NibbleConfig) => void, RegExp][] = [
    ['unknown placeholder', (c) => { c.gpio.enabled = true; c.gpio.preset_prompt = 'at {hour}'; }, /gpio.preset_prompt uses \{hour\}/],
    ['button and LED on one pin', (c) => { c.gpio.enabled = true; c.gpio.led_pin = 17; }, /"gpio.led_pin" is the same pin as gpio.button_pin, got 17/],
    ['wildcard answer topic', (c) => { c.gpio.enabled = true; c.gpio.answer_topic = 'a/#'; }, /"gpio.answer_topic" holds an MQTT wildcard/],
    ['serial delays', (c) => { c.serial.enabled = true; c.serial.reconnect_min_ms = 5000; c.serial.reconnect_max_ms = 100; }, /"serial.reconnect_min_ms" is above/],
    ['node id charset', (c) => { c.homeassistant.node_id = 'my pi'; }, /"homeassistant.node_id" may hold only letters, digits, _ and -, got "my pi"/],
    ['discovery prefix', (c) => { c.homeassistant.discovery_prefix = '$SYS'; }, /"homeassistant.discovery_prefix" starts with \$/],
    ['support url', (c) => { c.homeassistant.support_url = 'example.org'; }, /"homeassistant.support_url" must be an http/],
    ['fleet wildcard', (c) => { c.fleet.base_topic = 'fleet/+'; }, /"fleet.base_topic" holds an MQTT wildcard/],
    ['fleet group', (c) => { c.fleet.base_topic = 'fleet'; c.fleet.group = 'a/b'; }, /"fleet.group" must be a non-empty name/],
    ['fleet = own base', (c) => { c.fleet.base_topic = 'nibble/pi/'; c.mqtt.base_topic = 'nibble/pi'; }, /"fleet.base_topic" must differ from mqtt.base_topic/],
  ];
  for (const [what, tweak, message] of cases) t.throws(withConfig(tweak), { name: 'ConfigError', message }, what);
});

t.test('routes to a plugin that is off are warnings', async (t) => {
  t.same(withConfig((c) => { c.gpio.enabled = true; c.gpio.answer_to = 'serial'; })(), ['gpio.answer_to sends button answers to the serial line, but serial.enabled is false']);
  t.same(withConfig((c) => { c.gpio.enabled = true; c.mqtt.enabled = false; })(), ['gpio.answer_to sends button answers to MQTT, but mqtt.enabled is false']);
});

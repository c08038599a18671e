// Removes nibble's device from Home Assistant: publishes the empty retained
// discovery message for the appliance the given config describes. Run by
// deploy/uninstall.sh before it deletes /opt/nibble:
//   node /opt/nibble/deploy/remove-discovery.mjs /etc/nibble/config.yaml
// Nothing to do (exit 0) when the config names no broker or discovery is off.
import mqtt from 'mqtt';
import { loadConfig } from '../dist/daemon/config/load.js';
import { resolvePaths } from '../dist/daemon/config/resolve.js';
import { removalMessage } from '../dist/daemon/mqtt/discovery.js';

const file = process.argv[2];
const config = loadConfig({ file, env: process.env });
if (config.mqtt.url === null || !config.homeassistant.enabled) process.exit(0);
const paths = resolvePaths(config, process.env);
const { topic } = removalMessage(config, paths.baseTopic);
try {
  const client = await mqtt.connectAsync(config.mqtt.url, {
    clientId: `${paths.clientId}-uninstall`,
    connectTimeout: 10_000,
    reconnectPeriod: 0,
    ...(config.mqtt.username !== null ? { username: config.mqtt.username } : {}),
    ...(config.mqtt.password !== null ? { password: config.mqtt.password } : {}),
  });
  await client.publishAsync(topic, '', { qos: 1, retain: true });
  await client.endAsync();
  process.stdout.write(`nibble uninstall: removed the Home Assistant device (${topic})\n`);
} catch (err) {
  process.stderr.write(`nibble uninstall: ${config.mqtt.url}: ${err.message}\n`);
  process.exit(1);
}

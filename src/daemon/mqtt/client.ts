import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../logger.js';
import { dedupKeyOf, type InboundMessage, type PublishOptions, type Transport } from './transport.js';

export interface ExternalBrokerOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  username: string | null;
  password: string | null;
  ca: string | null;
  cert: string | null;
  key: string | null;
  rejectUnauthorized: boolean;
  keepaliveS: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  statusTopic: string;
  logger: Logger;
  /** Called after each (re)connection, once the status is published (Home Assistant discovery announces itself then). */
  onConnect?: () => void;
}

// MQTT 5 ends a session at disconnect unless it says otherwise; a week keeps
// requests queued at the broker across a long outage of the appliance.
const SESSION_EXPIRY_S = 7 * 24 * 3600;

/**
 * A connection to an external broker (mosquitto, Home Assistant's). The
 * session is persistent (clean: false, a fixed client id), and MQTT.js sends
 * the PUBACK for an incoming QoS 1 message only after `handleMessage` calls
 * back, which is after the request row is committed: the broker redelivers
 * whatever nibble never stored. Reconnects with a doubling delay.
 */
export class ExternalBrokerTransport implements Transport {
  private client: MqttClient | null = null;
  private delay: number;

  constructor(private readonly options: ExternalBrokerOptions) {
    this.delay = options.reconnectMinMs;
  }

  get speaksV5(): boolean { return this.options.protocolVersion === 5; }
  get address(): string { return this.options.url; }

  async start(subscriptions: string[], onMessage: (message: InboundMessage) => void): Promise<void> {
    const o = this.options;
    const hash = (b: Buffer) => createHash('sha1').update(b).digest('hex').slice(0, 16);
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      clean: false,
      protocolVersion: o.protocolVersion,
      keepalive: o.keepaliveS,
      reconnectPeriod: o.reconnectMinMs,
      connectTimeout: 10_000,
      resubscribe: true,
      will: { topic: o.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_S } } : {}),
      ...(o.username !== null ? { username: o.username } : {}),
      ...(o.password !== null ? { password: o.password } : {}),
      ...(o.ca !== null ? { ca: readFileSync(o.ca) } : {}),
      ...(o.cert !== null ? { cert: readFileSync(o.cert) } : {}),
      ...(o.key !== null ? { key: readFileSync(o.key) } : {}),
      rejectUnauthorized: o.rejectUnauthorized,
    };
    const client = mqtt.connect(o.url, clientOptions);
    this.client = client;
    // A shared subscription ($share/<group>/<filter>) delivers messages under the plain topic.
    const inputs = new Set(subscriptions.map((sub) => sub.replace(/^\$share\/[^/]+\//, '')));

    // MQTT.js calls this for every incoming PUBLISH, one at a time, and for
    // QoS 1 sends the PUBACK only after the callback: the commit happens first.
    client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
      const topic = packet.topic.toString();
      if (!inputs.has(topic)) return callback();
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      try {
        onMessage({
          topic,
          payload,
          responseTopic: packet.properties?.responseTopic,
          correlationData: packet.properties?.correlationData,
          dedupKey: packet.qos > 0 ? dedupKeyOf(o.clientId, packet.messageId, payload, hash) : null,
          dup: packet.dup === true,
        });
        callback();
      } catch (err) {
        o.logger.error(`could not store a request; not acknowledging it, reconnecting so the broker redelivers it: ${(err as Error).message}`);
        // Without the PUBACK the broker keeps the message for the session and
        // sends it again after the reconnect.
        client.stream?.destroy();
        callback();
      }
    };

    client.on('connect', (connack) => {
      this.delay = o.reconnectMinMs;
      client.options.reconnectPeriod = this.delay;
      o.logger.info(`connected to ${o.url} (MQTT ${o.protocolVersion === 5 ? '5' : '3.1.1'}, session ${connack.sessionPresent ? 'resumed' : 'new'})`);
      client.publish(o.statusTopic, 'online', { qos: 1, retain: true });
      o.onConnect?.();
      client.subscribe(subscriptions, { qos: 1 }, (err) => {
        if (err) o.logger.error(`subscribing to ${subscriptions.join(', ')} failed: ${err.message}`);
      });
    });
    client.on('close', () => {
      if (client.disconnecting) return;
      o.logger.warn(`lost the broker at ${o.url}; reconnecting in ${this.delay} ms`);
      client.options.reconnectPeriod = this.delay;
      this.delay = Math.min(this.delay * 2, o.reconnectMaxMs);
    });
    client.on('error', (err) => o.logger.warn(`mqtt ${o.url}: ${err.message}`));
    // The daemon runs without a broker until it comes back: start() does not wait for a connection.
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('not started'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, {
        qos: options.qos,
        retain: options.retain ?? false,
        ...(this.speaksV5 && options.correlationData ? { properties: { correlationData: options.correlationData } } : {}),
      }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    if (client.connected) {
      await new Promise<void>((resolve) => client.publish(this.options.statusTopic, 'offline', { qos: 1, retain: true }, () => resolve()));
    }
    await client.endAsync(!client.connected);
  }
}

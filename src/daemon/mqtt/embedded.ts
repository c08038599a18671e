import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from '../logger.js';
import { topicMatches } from './topic-match.js';
import { dedupKeyOf, type InboundMessage, type PublishOptions, type Transport } from './transport.js';

export interface EmbeddedBrokerOptions {
  port: number;
  logger: Logger;
  /** Retained status topic: "online" while the daemon (and so this broker) runs. */
  statusTopic: string;
}

/**
 * The embedded broker (aedes, MQTT 3.1.1), bound to 127.0.0.1 only. A request
 * is committed inside aedes' authorizePublish hook, which runs before aedes
 * writes the asker's PUBACK (QoS 1): the PUBACK is the acknowledgement.
 * A failed commit fails the hook, and aedes then closes the asker's
 * connection without a PUBACK, so the asker sends it again.
 */
export class EmbeddedBrokerTransport implements Transport {
  readonly speaksV5 = false;
  private broker: Aedes | null = null;
  private server: Server | null = null;
  /** Each client's subscription filters (aedes keeps none for clean sessions where we could ask). */
  private readonly filters = new Map<string, Set<string>>();
  port = 0;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  get address(): string { return `embedded broker on 127.0.0.1:${this.port}`; }

  async start(subscriptions: string[], onMessage: (message: InboundMessage) => void): Promise<void> {
    const inputs = new Set(subscriptions);
    const hash = (b: Buffer) => createHash('sha1').update(b).digest('hex').slice(0, 16);
    this.broker = await Aedes.createBroker({
      authorizePublish: (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
        if (!client || !inputs.has(packet.topic)) return callback(null);
        try {
          const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
          onMessage({
            topic: packet.topic,
            payload,
            dedupKey: packet.qos > 0 ? dedupKeyOf(client.id, packet.messageId, payload, hash) : null,
            dup: packet.dup === true,
          });
          callback(null);
        } catch (err) {
          this.options.logger.error(`could not store a request from ${client.id}; it is not acknowledged: ${(err as Error).message}`);
          callback(err as Error);
        }
      },
    });
    this.broker.on('clientError', (client, err) => this.options.logger.debug(`mqtt client ${client.id}: ${err.message}`));
    this.broker.on('subscribe', (subs, client) => {
      if (!client) return;
      const set = this.filters.get(client.id) ?? new Set<string>();
      for (const s of subs) set.add(s.topic);
      this.filters.set(client.id, set);
    });
    this.broker.on('unsubscribe', (topics, client) => { for (const t of topics) this.filters.get(client?.id)?.delete(t); });
    this.broker.on('clientDisconnect', (client) => { this.filters.delete(client.id); });
    this.server = createServer(this.broker.handle);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    await this.publish(this.options.statusTopic, 'online', { qos: 1, retain: true });
  }

  async waitForSubscriber(topic: string, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.broker) {
      for (const set of this.filters.values()) for (const f of set) if (topicMatches(f, topic)) return true;
      if (Date.now() >= end) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const broker = this.broker;
    if (!broker) return Promise.reject(new Error('embedded broker is not running'));
    return new Promise((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: options.qos, retain: options.retain ?? false, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async stop(): Promise<void> {
    if (!this.broker) return;
    await this.publish(this.options.statusTopic, 'offline', { qos: 1, retain: true }).catch(() => {});
    const broker = this.broker;
    this.broker = null;
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

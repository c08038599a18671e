import { randomBytes } from 'node:crypto';
import type { DaemonState, EventBus } from '../bus.js';
import type { Logger } from '../logger.js';
import { answerPayload } from '../mqtt/answer.js';
import { HomeAssistantDiscovery } from '../mqtt/discovery.js';
import { ExternalBrokerTransport } from '../mqtt/client.js';
import { EmbeddedBrokerTransport } from '../mqtt/embedded.js';
import { parseAskPayload, parseCancelPayload, type AskLimits } from '../mqtt/payload.js';
import { topicsOf, type Topics } from '../mqtt/topics.js';
import type { InboundMessage, Transport } from '../mqtt/transport.js';
import type { RequestQueue } from '../queue.js';
import type { NewRequest, StoredRequest } from '../request.js';
import type { RequestStore } from '../store/store.js';
import type { NibbleConfig } from '../config/schema.js';
import { presetRequest } from './gpio.js';
import type { Plugin } from './plugin.js';

export interface MqttPluginOptions {
  config: NibbleConfig;
  baseTopic: string;
  clientId: string;
  bus: EventBus;
  queue: RequestQueue;
  store: RequestStore;
  logger: Logger;
}

const SOURCE = 'mqtt';
// A redelivered message (DUP) is matched to its first delivery within this window.
const DEDUP_WINDOW_MS = 24 * 3600 * 1000;
// After a restart, how long a held-back answer waits for its asker to subscribe again.
const REDELIVERY_WAIT_MS = 30_000;

/**
 * MQTT source and sink: requests in on <base>/ask and <base>/cancel, answers
 * out on the asker's response topic (MQTT 5), its reply_to, or <base>/answer;
 * pieces on <base>/stream; retained <base>/status and <base>/state.
 */
export class MqttPlugin implements Plugin {
  readonly name = 'mqtt';
  private transport: Transport | null = null;
  private topics: Topics | null = null;
  private unsubscribe: (() => void)[] = [];
  private lastState = '';
  private pendingState: DaemonState | null = null;
  private started = false;
  private discovery: HomeAssistantDiscovery | null = null;
  /** <fleet base>/ask, when this appliance is part of a fleet. */
  private fleetAsk: string | null = null;
  /** Problems of other plugins shown in the state payload (e.g. "gpio": "unavailable: ..."). */
  private notes: Record<string, string> = {};

  constructor(private readonly options: MqttPluginOptions) {}

  /** The embedded broker's port (0 when an external broker is used). */
  get brokerPort(): number {
    return this.transport instanceof EmbeddedBrokerTransport ? this.transport.port : 0;
  }

  async start(): Promise<void> {
    const { config, bus, logger } = this.options;
    const m = config.mqtt;
    const topics = topicsOf(this.options.baseTopic);
    this.topics = topics;
    this.transport = m.url === null
      ? new EmbeddedBrokerTransport({ port: m.broker_port, logger, statusTopic: topics.status })
      : new ExternalBrokerTransport({
        url: m.url, clientId: this.options.clientId, protocolVersion: m.protocol_version === 4 ? 4 : 5,
        username: m.username, password: m.password, ca: m.ca, cert: m.cert, key: m.key,
        rejectUnauthorized: m.reject_unauthorized, keepaliveS: m.keepalive_s,
        reconnectMinMs: m.reconnect_min_ms, reconnectMaxMs: m.reconnect_max_ms, statusTopic: topics.status, logger,
        // Discovery is retained, but a broker without persistence forgets it on restart: announce on every connection.
        onConnect: () => void this.discovery?.announce(),
      });
    this.unsubscribe.push(
      bus.on('request.piece', ({ request, text }) => this.streamPiece(request, text)),
      bus.on('request.finished', (row) => this.deliver(row)),
      bus.on('state', (state) => this.publishState(state)),
    );
    const subscriptions: string[] = [topics.ask, topics.cancel];
    if (config.homeassistant.enabled && m.url !== null) {
      this.discovery = new HomeAssistantDiscovery({
        config, baseTopic: this.options.baseTopic, topics, logger,
        publish: (topic, payload, opts) => this.transport!.publish(topic, payload, opts),
        onPreset: () => this.runPreset(),
      });
      subscriptions.push(...this.discovery.subscriptions());
    }
    const fleet = config.fleet;
    if (fleet.base_topic !== null) {
      if (m.url === null || m.protocol_version !== 5) {
        logger.warn('fleet: shared subscriptions need an external MQTT 5 broker (mqtt.url, mqtt.protocol_version 5); fleet.base_topic is ignored');
      } else {
        const fleetBase = fleet.base_topic.replace(/\/+$/, '');
        this.fleetAsk = `${fleetBase}/ask`;
        // The broker hands each message on the shared topic to one member of the group.
        subscriptions.push(`$share/${fleet.group ?? 'nibble'}/${this.fleetAsk}`);
        logger.info(`fleet: taking requests on ${this.fleetAsk} shared with group "${fleet.group}"`);
      }
    }
    await this.transport.start(subscriptions, (msg) => this.onMessage(msg));
    this.started = true;
    logger.info(`mqtt: ${this.transport.address}, base topic ${this.options.baseTopic}`);
    if (this.pendingState) await this.publishState(this.pendingState);
    // Answers a crash kept from being delivered go out now; with the embedded
    // broker, once their asker has reconnected and subscribed again.
    // The button's answers that carry a topic are due here too (gpio.answer_to mqtt).
    const undelivered = [...this.options.store.undelivered(SOURCE), ...this.options.store.undelivered('gpio').filter((r) => r.reply?.topic)]
      .sort((x, y) => x.seq - y.seq);
    if (undelivered.length > 0) {
      logger.info(`delivering ${undelivered.length} answers a restart held back`);
      void this.redeliver(undelivered);
    }
  }

  private async redeliver(rows: StoredRequest[]): Promise<void> {
    for (const row of rows) {
      const transport = this.transport;
      if (!transport) return;
      const topic = row.reply?.topic ?? this.topics!.answer;
      if (transport.waitForSubscriber && !(await transport.waitForSubscriber(topic, REDELIVERY_WAIT_MS))) {
        this.options.logger.warn(`no subscriber on ${topic} within ${REDELIVERY_WAIT_MS / 1000} s; sending the answer to ${row.id} anyway`);
      }
      await this.deliver(row).catch((err) => this.options.logger.error(`delivering the answer to ${row.id} failed: ${(err as Error).message}`));
    }
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.started = false;
    this.discovery = null;
    this.fleetAsk = null;
    await this.transport?.stop();
    this.transport = null;
  }

  /** Runs inside the broker's publish path: whatever it stores is committed before the message is acknowledged. */
  private onMessage(msg: InboundMessage): void {
    const topics = this.topics!;
    if (this.discovery?.handle(msg.topic, msg.payload)) return;
    if (msg.topic === topics.cancel) {
      const id = parseCancelPayload(msg.payload);
      if (id !== null) {
        const what = this.options.queue.cancel(id);
        this.options.logger.info(`cancel ${id}: ${what ?? 'no such active request'}`);
      }
      return;
    }
    if (msg.dup && msg.dedupKey && this.options.store.findDuplicate(msg.dedupKey, Date.now() - DEDUP_WINDOW_MS)) {
      this.options.logger.info('a redelivered request was already stored; acknowledging it again');
      return;
    }
    const r = this.options.config.requests;
    const limits: AskLimits = { maxBytes: r.max_payload_bytes, maxTokensCap: r.max_tokens_cap, defaultMaxTokens: Math.min(r.default_max_tokens, r.max_tokens_cap), defaultTemperature: r.default_temperature };
    const parsed = parseAskPayload(msg.payload, limits);
    const correlation = msg.correlationData ? msg.correlationData.toString('base64') : null;
    const base: Omit<NewRequest, 'id' | 'prompt' | 'messages' | 'system' | 'params'> = {
      source: SOURCE,
      reply: { topic: msg.responseTopic ?? null, correlation },
      dedupKey: msg.dedupKey,
    };
    if (!parsed.ok) {
      this.options.queue.reject({ ...base, id: parsed.id ?? newId(), prompt: null, messages: null, system: null, params: { max_tokens: 0, temperature: 0, stream: false } }, parsed.error);
      return;
    }
    const ask = parsed.ask;
    this.options.queue.submit({
      ...base,
      id: ask.id ?? newId(),
      prompt: ask.prompt,
      messages: ask.messages,
      system: ask.system,
      params: ask.params,
      // MQTT 5's response topic wins over reply_to.
      // A fleet request without a route is answered on <fleet base>/answer.
      reply: { topic: msg.responseTopic ?? ask.replyTo ?? (msg.topic === this.fleetAsk ? this.fleetAnswer() : null), correlation },
    });
  }

  private fleetAnswer(): string {
    return `${this.fleetAsk!.slice(0, -'/ask'.length)}/answer`;
  }

  /** The Home Assistant button: the preset prompt, answered on <base>/answer like the text entity's asks. */
  private runPreset(): void {
    const row = this.options.queue.submit({ ...presetRequest(this.options.config, this.options.baseTopic, SOURCE, new Date()), reply: null });
    this.options.logger.info(`homeassistant: preset button: request ${row.id} ${row.status === 'queued' ? 'queued' : `refused (${row.error?.code})`}`);
  }

  /** Shows another plugin's problem in the state payload (GPIO missing, for example). */
  note(key: string, message: string): void {
    this.notes[key] = message;
    if (this.pendingState || this.lastState) void this.publishState(this.pendingState ?? JSON.parse(this.lastState) as DaemonState);
  }

  private async streamPiece(row: StoredRequest, text: string): Promise<void> {
    if (row.source !== SOURCE || !row.params.stream || !this.transport) return;
    await this.transport.publish(this.topics!.stream, JSON.stringify({ id: row.id, delta: text }), { qos: 0, correlationData: correlationOf(row) });
  }

  private async deliver(row: StoredRequest): Promise<void> {
    // Other sources' answers (the button's) come here when they carry a topic.
    if ((row.source !== SOURCE && !row.reply?.topic) || !this.transport) return;
    const topic = row.reply?.topic ?? this.topics!.answer;
    await this.transport.publish(topic, JSON.stringify(answerPayload(row)), { qos: 1, correlationData: correlationOf(row) });
    this.options.store.markDelivered(row.seq);
  }

  private async publishState(state: DaemonState): Promise<void> {
    if (!this.started || !this.transport) {
      this.pendingState = state;
      return;
    }
    const payload = JSON.stringify({ ...state, ...this.notes });
    if (payload === this.lastState) return;
    this.lastState = payload;
    await this.transport.publish(this.topics!.state, payload, { qos: 1, retain: true });
  }
}

function correlationOf(row: StoredRequest): Buffer | undefined {
  return row.reply?.correlation ? Buffer.from(row.reply.correlation, 'base64') : undefined;
}

/** An id for a request that came without one. */
export function newId(): string {
  return randomBytes(6).toString('hex');
}

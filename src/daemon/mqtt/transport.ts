/** A message that arrived on one of the daemon's input topics. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 response topic and correlation data, where the broker speaks MQTT 5. */
  responseTopic?: string;
  correlationData?: Buffer;
  /**
   * Set when the message may be a redelivery (MQTT DUP flag): the key a first
   * delivery of it would have been stored under, so it is stored only once.
   */
  dedupKey: string | null;
  /** Whether this delivery is marked as a redelivery. */
  dup: boolean;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
  correlationData?: Buffer;
}

/**
 * How the MQTT plugin talks to a broker: the embedded one (in-process) or an
 * external one (a client connection). `onMessage` runs synchronously and the
 * message is acknowledged only after it returns (the request row is then
 * committed); if it throws, the message is not acknowledged.
 */
export interface Transport {
  /** Whether MQTT 5 properties (response topic, correlation data) reach this transport. */
  readonly speaksV5: boolean;
  /** A human-readable address for logs. */
  readonly address: string;
  start(subscriptions: string[], onMessage: (message: InboundMessage) => void): Promise<void>;
  /** Resolves once the broker has the message (PUBACK for QoS 1). */
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  /**
   * Where the broker keeps no sessions for the askers (the embedded broker
   * restarts with the daemon): resolves true once some client subscribes to a
   * filter matching `topic`, false after `timeoutMs`. Absent where the broker
   * queues messages for offline subscribers itself.
   */
  waitForSubscriber?(topic: string, timeoutMs: number): Promise<boolean>;
  /** Sends the retained offline status (where it is ours to send) and disconnects. */
  stop(): Promise<void>;
}

/** A stable key for one PUBLISH from one sender: id + content, so an identical redelivery maps to it. */
export function dedupKeyOf(sender: string, messageId: number | undefined, payload: Buffer, hash: (b: Buffer) => string): string | null {
  return messageId === undefined ? null : `${sender}:${messageId}:${hash(payload)}`;
}

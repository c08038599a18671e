// The one configuration schema of `nibble serve`. Every key has a title, a
// description and a default; the TypeScript type of a loaded config is
// derived from this object, so the schema and the code cannot drift apart.
// A config file may set any subset of these keys; an unknown key is an error.

interface Base { title: string; description: string }
export interface StringKey extends Base { type: 'string'; default: string | null; enum?: readonly string[] }
export interface IntegerKey extends Base { type: 'integer'; default: number; minimum: number; maximum: number }
export interface NumberKey extends Base { type: 'number'; default: number; minimum: number; maximum: number }
export interface BooleanKey extends Base { type: 'boolean'; default: boolean }
export interface ObjectKey extends Base { type: 'object'; properties: Record<string, SchemaNode> }
export type SchemaNode = StringKey | IntegerKey | NumberKey | BooleanKey | ObjectKey;

export const configSchema = {
  type: 'object',
  title: 'nibble serve configuration',
  description: 'A JSON or YAML file; every key is optional and falls back to its default.',
  properties: {
    engine: {
      type: 'object',
      title: 'Engine',
      description: 'The model and how the engine runs it.',
      properties: {
        model: {
          type: 'string', default: null, title: 'Model path',
          description: 'Path of the GGUF model to load. Unset: the default model in the models folder, downloaded on first start. Env NIBBLE_MODEL.',
        },
        models_dir: {
          type: 'string', default: null, title: 'Models folder',
          description: 'Where `nibble pull` and the first start put downloaded models. Unset: $NIBBLE_MODELS_DIR, else <data_dir>/models.',
        },
        threads: {
          type: 'integer', default: 0, minimum: 0, maximum: 256, title: 'Threads',
          description: 'Worker threads for inference; 0 means one per CPU core. Env NIBBLE_THREADS.',
        },
        context_size: {
          type: 'integer', default: 2048, minimum: 0, maximum: 1048576, title: 'Context size',
          description: 'Tokens of context (prompt plus answer) per request; 0 means the model\'s own training context.',
        },
      },
    },
    requests: {
      type: 'object',
      title: 'Requests',
      description: 'Limits and defaults applied to every request, whatever its source.',
      properties: {
        max_tokens_cap: {
          type: 'integer', default: 1024, minimum: 1, maximum: 1048576, title: 'max_tokens cap',
          description: 'Largest answer length in tokens; a request asking for more is clamped to this.',
        },
        default_max_tokens: {
          type: 'integer', default: 256, minimum: 1, maximum: 1048576, title: 'Default max_tokens',
          description: 'Answer length in tokens when a request does not say (never above the cap).',
        },
        default_temperature: {
          type: 'number', default: 0.7, minimum: 0, maximum: 5, title: 'Default temperature',
          description: 'Sampling temperature when a request does not say; 0 is greedy.',
        },
        timeout_s: {
          type: 'number', default: 300, minimum: 0, maximum: 86400, title: 'Request timeout',
          description: 'Seconds a request may run before it is stopped with finish_reason "timeout"; 0 means no limit.',
        },
        queue_capacity: {
          type: 'integer', default: 32, minimum: 1, maximum: 100000, title: 'Queue capacity',
          description: 'Requests waiting beyond the running one; one more gets a "busy" error answer.',
        },
        max_payload_bytes: {
          type: 'integer', default: 65536, minimum: 256, maximum: 16777216, title: 'Largest request',
          description: 'Largest request payload in bytes; a larger one gets a "too_large" error answer.',
        },
        recovery: {
          type: 'string', default: 'rerun', enum: ['rerun', 'interrupt'], title: 'Recovery after a crash',
          description: 'What happens at start to requests a crash left unfinished. Requests still queued always run. '
            + 'A request that was running is run again with "rerun" (at most once more: one whose rerun is also cut off is marked interrupted), '
            + 'or marked interrupted with an error answer with "interrupt".',
        },
      },
    },
    store: {
      type: 'object',
      title: 'Request log',
      description: 'The SQLite database that queues and logs every request.',
      properties: {
        data_dir: {
          type: 'string', default: null, title: 'Data folder',
          description: 'Folder of the database and state. Unset: $STATE_DIRECTORY (set by systemd: /var/lib/nibble), else ./data. Env NIBBLE_DATA_DIR.',
        },
        retention_days: {
          type: 'number', default: 30, minimum: 0, maximum: 36500, title: 'Keep for days',
          description: 'Finished requests older than this are deleted; 0 keeps them forever.',
        },
        retention_max_rows: {
          type: 'integer', default: 10000, minimum: 0, maximum: 100000000, title: 'Keep at most rows',
          description: 'Only the newest finished requests up to this count are kept; 0 means no limit.',
        },
      },
    },
    mqtt: {
      type: 'object',
      title: 'MQTT',
      description: 'Where requests arrive and answers go.',
      properties: {
        enabled: {
          type: 'boolean', default: true, title: 'Enabled',
          description: 'Whether the MQTT source and sink runs at all.',
        },
        url: {
          type: 'string', default: null, title: 'Broker URL',
          description: 'mqtt://, mqtts://, ws:// or wss:// address of a broker. Unset: an embedded broker on 127.0.0.1. Env NIBBLE_MQTT_URL.',
        },
        broker_port: {
          type: 'integer', default: 1883, minimum: 0, maximum: 65535, title: 'Embedded broker port',
          description: 'TCP port of the embedded broker, bound to 127.0.0.1 only (0 picks a free one). Env NIBBLE_BROKER_PORT.',
        },
        base_topic: {
          type: 'string', default: null, title: 'Base topic',
          description: 'Prefix of every topic (<base>/ask, /answer, /stream, /cancel, /status, /state). Unset: nibble/<hostname>. Env NIBBLE_BASE_TOPIC.',
        },
        protocol_version: {
          type: 'integer', default: 5, minimum: 4, maximum: 5, title: 'MQTT protocol version',
          description: '5 (MQTT 5: response topic and correlation data) or 4 (MQTT 3.1.1) for an external broker.',
        },
        client_id: {
          type: 'string', default: null, title: 'Client id',
          description: 'Client id at an external broker; it must stay the same across restarts for the persistent session. Unset: nibble-<hostname>.',
        },
        username: { type: 'string', default: null, title: 'Username', description: 'Username at an external broker.' },
        password: { type: 'string', default: null, title: 'Password', description: 'Password at an external broker.' },
        ca: { type: 'string', default: null, title: 'CA file', description: 'PEM file of the certificate authority that signed the broker\'s certificate (mqtts://).' },
        cert: { type: 'string', default: null, title: 'Client certificate', description: 'PEM file of nibble\'s client certificate, for brokers that require one.' },
        key: { type: 'string', default: null, title: 'Client key', description: 'PEM file of the private key of the client certificate.' },
        reject_unauthorized: {
          type: 'boolean', default: true, title: 'Verify broker certificate',
          description: 'Refuse a broker whose TLS certificate does not verify. Turn off only for testing.',
        },
        keepalive_s: {
          type: 'integer', default: 30, minimum: 0, maximum: 65535, title: 'Keepalive',
          description: 'Seconds between MQTT keepalive pings to an external broker.',
        },
        reconnect_min_ms: {
          type: 'integer', default: 500, minimum: 10, maximum: 3600000, title: 'First reconnect delay',
          description: 'Delay before the first reconnect attempt after the broker goes away; it doubles on each failure.',
        },
        reconnect_max_ms: {
          type: 'integer', default: 30000, minimum: 10, maximum: 3600000, title: 'Longest reconnect delay',
          description: 'Upper bound of the doubling reconnect delay.',
        },
      },
    },
    shutdown_grace_s: {
      type: 'number', default: 10, minimum: 0, maximum: 3600, title: 'Shutdown grace time',
      description: 'On SIGTERM/SIGINT, seconds the running request may take to finish before it is stopped and left for recovery.',
    },
    log_level: {
      type: 'string', default: 'info', enum: ['error', 'warn', 'info', 'debug'], title: 'Log level',
      description: 'Least important messages written to stderr (the journal under systemd).',
    },
  },
} as const satisfies ObjectKey;

/** The TypeScript type of a validated value of schema node S. */
export type ValueOf<S> =
  S extends { type: 'object'; properties: infer P } ? { [K in keyof P]: ValueOf<P[K]> } :
  S extends { type: 'string'; enum: readonly (infer E)[] } ? E :
  S extends { type: 'string' } ? string | null :
  S extends { type: 'integer' | 'number' } ? number :
  S extends { type: 'boolean' } ? boolean : never;

export type NibbleConfig = ValueOf<typeof configSchema>;

/** Environment variables `nibble serve` honours, and the key each one sets (DESIGN.md, CLI contract). */
export const envOverrides: Readonly<Record<string, string>> = {
  NIBBLE_MODEL: 'engine.model',
  NIBBLE_MQTT_URL: 'mqtt.url',
  NIBBLE_BROKER_PORT: 'mqtt.broker_port',
  NIBBLE_BASE_TOPIC: 'mqtt.base_topic',
  NIBBLE_DATA_DIR: 'store.data_dir',
  NIBBLE_THREADS: 'engine.threads',
};

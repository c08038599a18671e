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
          description: 'Answer length in tokens when a request does not say; a default above the cap is clamped to the cap too.',
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
    gpio: {
      type: 'object',
      title: 'GPIO button and LED',
      description: 'A push button that runs the preset prompt, and an LED that shows loading, busy and error. Pins are BCM numbers (GPIO17 = 17), not header pin numbers.',
      properties: {
        enabled: {
          type: 'boolean', default: false, title: 'Enabled',
          description: 'Whether the GPIO plugin runs. Where GPIO is missing (not a Pi, no permission) it says so once and the daemon runs on.',
        },
        button_pin: {
          type: 'integer', default: 17, minimum: -1, maximum: 127, title: 'Button pin (BCM)',
          description: 'BCM number of the button input; -1 means no button. sysfs cannot set a pull-up: add `gpio=17=ip,pu` to config.txt (see README).',
        },
        edge: {
          type: 'string', default: 'rising', enum: ['rising', 'falling', 'both'], title: 'Button edge',
          description: 'Which change of the (active_low-corrected) button value is a press. "rising" with active_low true fires when a button wired to ground is pressed; "both" fires on the press only.',
        },
        active_low: {
          type: 'boolean', default: true, title: 'Button active low',
          description: 'The button pulls the pin to ground when pressed (the usual wiring with a pull-up).',
        },
        debounce_ms: {
          type: 'integer', default: 50, minimum: 0, maximum: 10000, title: 'Debounce',
          description: 'Milliseconds the button value must stay unchanged before a press counts.',
        },
        led_pin: {
          type: 'integer', default: 27, minimum: -1, maximum: 127, title: 'LED pin (BCM)',
          description: 'BCM number of the LED output; -1 means no LED. Slow blink: loading; on: busy; fast blink: error (for 5 s); off: idle.',
        },
        led_active_low: {
          type: 'boolean', default: false, title: 'LED active low',
          description: 'The LED lights when the pin is low (wired from 3V3 to the pin).',
        },
        chip_label: {
          type: 'string', default: null, title: 'GPIO chip label',
          description: 'Label of the gpiochip whose lines the pin numbers count from (/sys/class/gpio/gpiochip*/label). Unset: the Pi\'s main GPIO chip (pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1).',
        },
        preset_prompt: {
          type: 'string', default: 'Give me one short, friendly tip for the day. It is {weekday}, {date}, {time}.', title: 'Preset prompt',
          description: 'What the button (and the Home Assistant button) asks. Placeholders: {date} (YYYY-MM-DD), {time} (HH:MM), {weekday}, {datetime} (ISO 8601 with offset). '
            + 'Keep them at the end: text that changes each time defeats the prompt prefix cache.',
        },
        answer_to: {
          type: 'string', default: 'mqtt', enum: ['mqtt', 'serial', 'mqtt+serial', 'log'], title: 'Where button answers go',
          description: 'mqtt: published on answer_topic; serial: written to the serial line (when the serial plugin runs); log: only in the request log.',
        },
        answer_topic: {
          type: 'string', default: null, title: 'Button answer topic',
          description: 'MQTT topic of button answers (the <base>/answer payload). Unset: <base>/answer.',
        },
      },
    },
    serial: {
      type: 'object',
      title: 'Serial line',
      description: 'Prompts in and answers out as lines on a serial port (protocol in README, "Serial line protocol").',
      properties: {
        enabled: {
          type: 'boolean', default: false, title: 'Enabled',
          description: 'Whether the serial plugin runs. A missing or unplugged device is retried with a growing delay, never fatal.',
        },
        device: {
          type: 'string', default: '/dev/serial0', title: 'Device',
          description: 'Serial device path, for example /dev/serial0 (the Pi\'s UART), /dev/ttyUSB0 or /dev/ttyACM0. Env NIBBLE_SERIAL_DEVICE.',
        },
        baud_rate: {
          type: 'integer', default: 115200, minimum: 50, maximum: 4000000, title: 'Baud rate',
          description: 'Line speed in bits per second (8 data bits, no parity, 1 stop bit).',
        },
        line_ending: {
          type: 'string', default: 'lf', enum: ['lf', 'crlf', 'cr'], title: 'Line ending out',
          description: 'What ends each line nibble writes. Lines in may end with LF, CRLF or CR alike.',
        },
        max_line_bytes: {
          type: 'integer', default: 4096, minimum: 16, maximum: 1048576, title: 'Longest line in',
          description: 'Bytes a line in may hold; a longer one is discarded up to its end and answered with "err too_long".',
        },
        reconnect_min_ms: {
          type: 'integer', default: 1000, minimum: 10, maximum: 3600000, title: 'First reopen delay',
          description: 'Delay before reopening the device after it failed or was unplugged; it doubles on each failure.',
        },
        reconnect_max_ms: {
          type: 'integer', default: 30000, minimum: 10, maximum: 3600000, title: 'Longest reopen delay',
          description: 'Upper bound of the doubling reopen delay.',
        },
      },
    },
    homeassistant: {
      type: 'object',
      title: 'Home Assistant discovery',
      description: 'MQTT discovery messages, so nibble shows up in Home Assistant as a device.',
      properties: {
        enabled: {
          type: 'boolean', default: true, title: 'Enabled',
          description: 'Announce nibble to Home Assistant. Takes effect only with an external broker (mqtt.url), since Home Assistant cannot reach the embedded one.',
        },
        discovery_prefix: {
          type: 'string', default: 'homeassistant', title: 'Discovery prefix',
          description: 'Home Assistant\'s discovery prefix; its birth message is <prefix>/status.',
        },
        node_id: {
          type: 'string', default: null, title: 'Node id',
          description: 'Id of this appliance in discovery topics and unique_ids ([a-zA-Z0-9_-]). Unset: made from the base topic.',
        },
        device_name: {
          type: 'string', default: null, title: 'Device name',
          description: 'Name Home Assistant shows. Unset: "nibble <hostname>".',
        },
        support_url: {
          type: 'string', default: null, title: 'Support URL',
          description: 'Address shown as the origin\'s support_url in Home Assistant (where you got nibble). Unset: left out.',
        },
      },
    },
    fleet: {
      type: 'object',
      title: 'Fleet',
      description: 'Several appliances sharing one request topic through MQTT 5 shared subscriptions ($share/<group>/<base_topic>/ask): the broker hands each request to one of them.',
      properties: {
        base_topic: {
          type: 'string', default: null, title: 'Fleet base topic',
          description: 'Base topic shared by the fleet; asks go to <base_topic>/ask, answers to the asker\'s response topic, its reply_to, or <base_topic>/answer. Unset: no fleet. Needs an external MQTT 5 broker.',
        },
        group: {
          type: 'string', default: 'nibble', title: 'Share group',
          description: 'Shared subscription group name; appliances in the same group split the requests between them.',
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
  NIBBLE_SERIAL_DEVICE: 'serial.device',
};

import { randomBytes } from 'node:crypto';
import type { DaemonState, EventBus } from '../bus.js';
import type { NibbleConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { RequestQueue } from '../queue.js';
import type { StoredRequest } from '../request.js';
import { ReconnectingPort } from '../serial/port.js';
import { AnswerLines, LineSplitter, parseLine, say, type LineEvent } from '../serial/protocol.js';
import type { RequestStore } from '../store/store.js';
import type { Plugin } from './plugin.js';

export interface SerialPluginOptions {
  config: NibbleConfig;
  bus: EventBus;
  queue: RequestQueue;
  store: RequestStore;
  logger: Logger;
}

const SOURCE = 'serial';
const eols = { lf: '\n', crlf: '\r\n', cr: '\r' } as const;

/**
 * Prompts in and answers out as lines on a serial device (protocol in
 * serial/protocol.ts and the README). Junk, over-long lines and an unplugged
 * device get an error line or a reconnect, never a crash.
 */
export class SerialPlugin implements Plugin {
  readonly name = 'serial';
  private port: ReconnectingPort | null = null;
  private splitter: LineSplitter | null = null;
  private unsubscribe: (() => void)[] = [];
  /** Answer text streamed so far, per request, until its end line. */
  private answers = new Map<string, AnswerLines>();
  /** The last request this line asked, for a bare /cancel. */
  private lastId: string | null = null;
  private state: DaemonState | null = null;

  constructor(private readonly options: SerialPluginOptions) {}

  async start(): Promise<void> {
    const { config, bus, logger } = this.options;
    const s = config.serial;
    this.splitter = new LineSplitter({ maxBytes: s.max_line_bytes });
    this.port = new ReconnectingPort({
      path: s.device ?? '/dev/serial0', baudRate: s.baud_rate, reconnectMinMs: s.reconnect_min_ms, reconnectMaxMs: s.reconnect_max_ms, logger,
      onData: (chunk) => this.onData(chunk),
      onOpen: () => this.flushUndelivered(),
      onClose: () => this.splitter?.reset(),
    });
    this.unsubscribe.push(
      bus.on('request.piece', ({ request, text }) => this.piece(request, text)),
      bus.on('request.finished', (row) => this.finished(row)),
      bus.on('state', (state) => { this.state = state; }),
    );
    await this.port.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.port?.stop();
    this.port = null;
  }

  private onData(chunk: Buffer): void {
    for (const event of this.splitter!.push(chunk)) {
      try {
        this.onLine(event);
      } catch (err) {
        // A request that cannot be stored gets an error line; the next line is read as usual.
        this.options.logger.error(`serial: handling a line failed: ${(err as Error).message}`);
        this.send(say.err('internal', `could not take the request: ${(err as Error).message}`));
      }
    }
  }

  private onLine(event: LineEvent): unknown {
    const { config, queue } = this.options;
    if (event.kind === 'too_long') return this.send(say.err('too_long', `line longer than ${event.limit} bytes; discarded up to its end`));
    if (event.kind === 'bad_utf8') return this.send(say.err('bad_utf8', 'line is not valid UTF-8; discarded'));
    if (event.kind === 'control_bytes') return this.send(say.err('bad_input', 'line holds control bytes (wrong baud rate?); discarded'));
    const command = parseLine(event.text);
    switch (command.kind) {
      case 'empty':
        return;
      case 'unknown':
        return this.send(say.err('unknown_command', `/${command.name} is not a command; commands are /cancel [id] and /status; start a prompt with // to begin it with /`));
      case 'status': {
        const st = this.state;
        return this.send(say.status(st?.state ?? 'loading', st?.queue ?? queue.length, st?.model ?? null));
      }
      case 'cancel': {
        const id = command.id ?? this.lastId;
        const what = id ? queue.cancel(id) : null;
        if (!what) return this.send(say.err('not_found', id ? `no queued or running request ${id}` : 'no request to cancel'));
        // The request's own end line (finish_reason cancelled) follows.
        return;
      }
      case 'prompt': {
        const r = config.requests;
        const id = `s-${randomBytes(4).toString('hex')}`;
        const row = queue.submit({
          id, source: SOURCE, prompt: command.prompt, messages: null, system: null,
          params: { max_tokens: r.default_max_tokens, temperature: r.default_temperature, stream: true },
          reply: null, dedupKey: null,
        });
        // A refused request already got its err line through request.finished.
        if (row.status === 'queued') {
          this.lastId = id;
          this.send(say.ok(id));
        }
      }
    }
  }

  /** Whether this line shows the answer of `row`: its own requests, and the button's when gpio.answer_to says so. */
  private ours(row: StoredRequest): boolean {
    if (row.source === SOURCE) return true;
    const to = this.options.config.gpio.answer_to;
    return row.source === 'gpio' && (to === 'serial' || to === 'mqtt+serial');
  }

  private piece(row: StoredRequest, text: string): void {
    if (row.source !== SOURCE) return;
    let lines = this.answers.get(row.id);
    if (!lines) this.answers.set(row.id, (lines = new AnswerLines()));
    for (const line of lines.push(text)) this.send(say.text(line));
  }

  private finished(row: StoredRequest): void {
    if (!this.ours(row)) return;
    const streamed = this.answers.get(row.id);
    this.answers.delete(row.id);
    const out: string[] = [];
    if (row.source !== SOURCE) out.push(say.from(row.id, row.source));
    if (row.error) {
      out.push(say.err(row.error.code, `request ${row.id}: ${row.error.message}`));
    } else {
      // Streamed lines went out already; a row that finished while the device
      // was away (or the button's, which is not streamed here) carries its whole answer.
      const rest = streamed ? streamed.finish() : wholeAnswer(row.answer ?? '');
      for (const line of rest) out.push(say.text(line));
      out.push(say.end(row.id, row.finishReason ?? 'stop', row.completionTokens ?? 0));
    }
    let sent = true;
    for (const line of out) sent = this.send(line) && sent;
    if (sent && row.source === SOURCE) this.options.store.markDelivered(row.seq);
  }

  /** Answers that finished while the device was away go out when it is back. */
  private flushUndelivered(): void {
    for (const row of this.options.store.undelivered(SOURCE)) this.finished(row);
  }

  private send(line: string): boolean {
    const sent = this.port?.write(line + eols[this.options.config.serial.line_ending as keyof typeof eols]) ?? false;
    if (!sent) this.options.logger.debug(`serial: device not open, dropped: ${line.slice(0, 80)}`);
    return sent;
  }
}

function wholeAnswer(text: string): string[] {
  const lines = new AnswerLines();
  return [...lines.push(text), ...lines.finish()];
}

import type { SerialPort as SerialPortType } from 'serialport';
import type { Logger } from '../logger.js';

export interface ReconnectingPortOptions {
  path: string;
  baudRate: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger: Logger;
  onData: (chunk: Buffer) => void;
  onOpen: () => void;
  onClose: () => void;
}

type SerialPortClass = typeof SerialPortType;
let serialPortClass: Promise<SerialPortClass> | null = null;

/** serialport is a native add-on: imported on first use, only by the serial plugin. */
function loadSerialPort(): Promise<SerialPortClass> {
  serialPortClass ??= import('serialport').then((m) => m.SerialPort);
  return serialPortClass;
}

/**
 * A serial device kept open: a failed open, an unplugged device or a read
 * error closes it and it is opened again after a doubling delay, for as long
 * as the daemon runs. The first failure of an outage is a warning; retries
 * are debug lines, so an unplugged device does not flood the journal.
 */
export class ReconnectingPort {
  private port: SerialPortType | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delay: number;
  private stopped = true;
  private failing = false;

  constructor(private readonly options: ReconnectingPortOptions) {
    this.delay = options.reconnectMinMs;
  }

  get isOpen(): boolean { return this.port?.isOpen === true; }

  /** Starts opening; resolves after the first attempt, opened or not (a missing device is retried, not fatal). */
  async start(): Promise<void> {
    this.stopped = false;
    await loadSerialPort();
    await this.open();
  }

  /** Writes a line; false when the device is not open (the text is dropped). */
  write(text: string): boolean {
    if (!this.port?.isOpen) return false;
    this.port.write(text);
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) {
      // Queued answer lines go out before the device is closed.
      await new Promise<void>((resolve) => port.drain(() => resolve()));
      await new Promise<void>((resolve) => port.close(() => resolve()));
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const { path, baudRate, logger } = this.options;
    const SerialPort = await loadSerialPort();
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.on('error', (err) => logger.debug(`serial ${path}: ${err.message}`));
    const error = await new Promise<Error | null>((resolve) => port.open((err) => resolve(err ?? null)));
    if (this.stopped) {
      if (!error) port.close();
      return;
    }
    if (error) {
      this.retry(`cannot open ${path}: ${error.message}`);
      return;
    }
    this.port = port;
    this.failing = false;
    this.delay = this.options.reconnectMinMs;
    logger.info(`serial: ${path} open at ${baudRate} baud`);
    port.on('data', (chunk: Buffer) => this.options.onData(chunk));
    // A read error (EIO when the device vanishes) closes the port; a zero-byte read ends it.
    const lost = (why: string) => {
      if (this.port !== port) return;
      this.port = null;
      if (port.isOpen) port.close(() => {});
      this.options.onClose();
      this.retry(`${path} ${why}`);
    };
    port.on('close', (err: Error | null) => lost(err ? `closed: ${err.message}` : 'closed'));
    port.on('end', () => lost('ended'));
    this.options.onOpen();
  }

  private retry(why: string): void {
    if (this.stopped) return;
    const { logger, reconnectMaxMs } = this.options;
    const line = `serial: ${why}; trying again in ${this.delay} ms`;
    if (this.failing) logger.debug(line);
    else logger.warn(line);
    this.failing = true;
    this.timer = setTimeout(() => { this.timer = null; void this.open(); }, this.delay);
    this.timer.unref();
    this.delay = Math.min(this.delay * 2, reconnectMaxMs);
  }
}

/**
 * What the GPIO plugin needs from a GPIO implementation: one input line that
 * reports edges, one output line. The onoff driver implements it on the
 * kernel's sysfs interface; tests use the in-memory FakeGpioDriver, since
 * onoff hard-codes /sys/class/gpio and waits on epoll (a temp folder cannot
 * stand in for it). Line numbers here are sysfs numbers (chip base + BCM).
 */
export type Edge = 'rising' | 'falling' | 'both';

export interface InputOptions {
  edge: Edge;
  /** Invert the value (and so the edge): a button to ground with a pull-up reads 1 when pressed. */
  activeLow: boolean;
  debounceMs: number;
}

export interface OutputOptions {
  activeLow: boolean;
}

export interface GpioInput {
  read(): 0 | 1;
  close(): void;
}

export interface GpioOutput {
  write(value: 0 | 1): void;
  close(): void;
}

export interface GpioDriver {
  readonly name: string;
  /** Exports and watches an input line; `onEdge` gets the value after each (debounced) edge. Throws GpioUnavailableError. */
  openInput(line: number, options: InputOptions, onEdge: (value: 0 | 1) => void): GpioInput;
  /** Exports an output line, initially off. Throws GpioUnavailableError. */
  openOutput(line: number, options: OutputOptions): GpioOutput;
}

/** GPIO cannot be used here (not a Pi, no sysfs GPIO, no permission, line busy); the message says which and what to do. */
export class GpioUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpioUnavailableError';
  }
}

import { GpioUnavailableError, type GpioDriver, type GpioInput, type GpioOutput, type InputOptions, type OutputOptions } from './driver.js';

interface FakeInput { options: InputOptions; value: 0 | 1; onEdge: (value: 0 | 1) => void; closed: boolean }
interface FakeOutput { options: OutputOptions; writes: (0 | 1)[]; /** performance.now() of each write. */ times: number[]; closed: boolean }

/**
 * An in-memory GpioDriver for tests (onoff cannot run on a fake sysfs): it
 * records the lines opened and what was written, and lets a test press a
 * button. Edges follow the kernel's rules as onoff exposes them: a value
 * change fires onEdge when it matches the configured edge; debouncing is
 * onoff's job, so the fake applies the same trailing-edge debounce.
 */
export class FakeGpioDriver implements GpioDriver {
  readonly name = 'fake';
  readonly inputs = new Map<number, FakeInput>();
  readonly outputs = new Map<number, FakeOutput>();
  /** Lines whose export fails, as on a board where they do not exist. */
  readonly missing = new Set<number>();
  private timers = new Map<number, NodeJS.Timeout>();

  openInput(line: number, options: InputOptions, onEdge: (value: 0 | 1) => void): GpioInput {
    this.check(line);
    const input: FakeInput = { options, value: 0, onEdge, closed: false };
    this.inputs.set(line, input);
    return { read: () => input.value, close: () => { input.closed = true; } };
  }

  openOutput(line: number, options: OutputOptions): GpioOutput {
    this.check(line);
    const output: FakeOutput = { options, writes: [], times: [], closed: false };
    this.outputs.set(line, output);
    return { write: (v) => { output.writes.push(v); output.times.push(performance.now()); }, close: () => { output.closed = true; } };
  }

  /** Sets the (logical) value of an input line, as the wiring would. */
  setInput(line: number, value: 0 | 1): void {
    const input = this.inputs.get(line);
    if (!input || input.closed || input.value === value) return;
    input.value = value;
    const { edge, debounceMs } = input.options;
    const fires = edge === 'both' || (edge === 'rising' ? value === 1 : value === 0);
    if (!fires) return;
    const deliver = () => { if (!input.closed) input.onEdge(input.value); };
    if (debounceMs === 0) return deliver();
    clearTimeout(this.timers.get(line));
    this.timers.set(line, setTimeout(deliver, debounceMs));
  }

  private check(line: number): void {
    if (this.missing.has(line)) throw new GpioUnavailableError(`cannot open GPIO line ${line}: no such line`);
  }
}

import type { GpioOutput } from './driver.js';

/** What the LED shows; error wins for a while, then the daemon's state shows again. */
export type LedPattern = 'off' | 'on' | 'slow' | 'fast';

export interface LedTimings {
  /** Half period of the slow blink (loading). */
  slowMs: number;
  /** Half period of the fast blink (error). */
  fastMs: number;
  /** How long an error blinks before the LED shows the state again. */
  errorMs: number;
}

export const defaultLedTimings: LedTimings = { slowMs: 500, fastMs: 100, errorMs: 5000 };

/** Drives one output line with steady and blinking patterns. */
export class Led {
  private pattern: LedPattern = 'off';
  private base: LedPattern = 'off';
  private blink: NodeJS.Timeout | null = null;
  private errorUntil: NodeJS.Timeout | null = null;
  private lit: 0 | 1 = 0;

  constructor(private readonly options: { output: GpioOutput; timings: LedTimings }) {}

  /** The pattern of the daemon's state (loading/busy/idle). */
  show(pattern: LedPattern): void {
    this.base = pattern;
    if (!this.errorUntil) this.apply(pattern);
  }

  /** Blinks fast for timings.errorMs, then goes back to the state pattern. */
  error(): void {
    if (this.errorUntil) clearTimeout(this.errorUntil);
    this.errorUntil = setTimeout(() => {
      this.errorUntil = null;
      this.apply(this.base);
    }, this.options.timings.errorMs);
    this.errorUntil.unref();
    this.apply('fast');
  }

  get current(): LedPattern { return this.pattern; }

  close(): void {
    if (this.errorUntil) clearTimeout(this.errorUntil);
    this.errorUntil = null;
    this.apply('off');
    this.options.output.close();
  }

  private apply(pattern: LedPattern): void {
    if (pattern === this.pattern && pattern !== 'off') return;
    this.pattern = pattern;
    if (this.blink) clearInterval(this.blink);
    this.blink = null;
    if (pattern === 'slow' || pattern === 'fast') {
      this.set(1);
      const half = pattern === 'slow' ? this.options.timings.slowMs : this.options.timings.fastMs;
      this.blink = setInterval(() => this.set(this.lit ? 0 : 1), half);
      this.blink.unref();
    } else {
      this.set(pattern === 'on' ? 1 : 0);
    }
  }

  private set(value: 0 | 1): void {
    this.lit = value;
    this.options.output.write(value);
  }
}

import type { Gpio as OnoffGpio } from 'onoff';
import { GpioUnavailableError, type GpioDriver, type GpioInput, type GpioOutput, type InputOptions, type OutputOptions } from './driver.js';

type GpioClass = typeof OnoffGpio;

/**
 * GpioDriver on onoff (sysfs GPIO). onoff is a native add-on (through epoll),
 * so it is imported only here, and this module only when the GPIO plugin is
 * enabled: the engine commands never load it.
 */
export async function loadOnoffDriver(): Promise<GpioDriver> {
  let Gpio: GpioClass;
  try {
    Gpio = (await import('onoff')).Gpio;
  } catch (err) {
    throw new GpioUnavailableError(`cannot load the onoff module: ${(err as Error).message}`);
  }
  if (!Gpio.accessible) {
    throw new GpioUnavailableError('sysfs GPIO (/sys/class/gpio) is not accessible: not a Raspberry Pi, or the user is not in the "gpio" group');
  }
  return new OnoffDriver(Gpio);
}

class OnoffDriver implements GpioDriver {
  readonly name = 'onoff';

  constructor(private readonly Gpio: GpioClass) {}

  openInput(line: number, options: InputOptions, onEdge: (value: 0 | 1) => void): GpioInput {
    const gpio = this.open(line, () => new this.Gpio(line, 'in', options.edge, { activeLow: options.activeLow, debounceTimeout: options.debounceMs }));
    gpio.watch((err, value) => {
      // A watch error comes from epoll on the value file; there is no value to report.
      if (!err) onEdge(value);
    });
    return {
      read: () => gpio.readSync(),
      close: () => { gpio.unwatchAll(); gpio.unexport(); },
    };
  }

  openOutput(line: number, options: OutputOptions): GpioOutput {
    // 'low' sets the direction and the initial value in one write, so the LED does not flash on start.
    const gpio = this.open(line, () => new this.Gpio(line, options.activeLow ? 'high' : 'low', 'none', { activeLow: options.activeLow }));
    return {
      write: (value) => gpio.writeSync(value),
      close: () => { gpio.writeSync(0); gpio.unexport(); },
    };
  }

  private open(line: number, make: () => OnoffGpio): OnoffGpio {
    try {
      return make();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const hint = code === 'EACCES' || code === 'EPERM' ? ': add the user to the "gpio" group'
        : code === 'EINVAL' ? ': the kernel refused the number (from kernel 6.6 sysfs numbers carry the chip base)'
          : code === 'EBUSY' ? ': another program holds this line' : '';
      throw new GpioUnavailableError(`cannot open GPIO line ${line}: ${(err as Error).message}${hint}`);
    }
  }
}

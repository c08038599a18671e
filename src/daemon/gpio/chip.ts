import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioUnavailableError } from './driver.js';

/** One /sys/class/gpio/gpiochipN entry. */
export interface GpioChip {
  /** Directory name, e.g. gpiochip512. */
  name: string;
  /** First sysfs GPIO number of the chip. */
  base: number;
  /** Lines the chip has. */
  ngpio: number;
  label: string;
}

/**
 * Labels of the SoC GPIO controllers whose line N is BCM GPIO N: Pi 1-3
 * (bcm2835), Pi 4 (bcm2711), Pi 5 (rp1). From kernel 6.6 their sysfs base is
 * no longer 0 (512 on a Pi 4, 571 on a Pi 5, other values seen), so the
 * number is always base + BCM pin.
 */
export const piChipLabels: readonly string[] = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'];

/** Reads every gpiochip under a sysfs GPIO folder; absent folder -> GpioUnavailableError. */
export function readChips(root = '/sys/class/gpio'): GpioChip[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GpioUnavailableError(code === 'ENOENT'
      ? `${root} does not exist: this machine has no sysfs GPIO (not a Raspberry Pi, or a kernel built without CONFIG_GPIO_SYSFS)`
      : `cannot list ${root}: ${(err as Error).message}`);
  }
  const chips: GpioChip[] = [];
  for (const name of names) {
    const read = (file: string) => readFileSync(join(root, name, file), 'utf8').trim();
    const base = Number(read('base'));
    const ngpio = Number(read('ngpio'));
    if (!Number.isInteger(base) || !Number.isInteger(ngpio)) continue;
    chips.push({ name, base, ngpio, label: read('label') });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/** The chip the BCM numbers count on: the labelled one, else the first Pi SoC chip found. */
export function pickChip(chips: readonly GpioChip[], label: string | null): GpioChip {
  const found = (l: string) => chips.find((c) => c.label === l);
  if (label !== null) {
    const chip = found(label);
    if (!chip) throw new GpioUnavailableError(`no gpiochip labelled "${label}" (gpio.chip_label); found: ${describeChips(chips)}`);
    return chip;
  }
  for (const l of piChipLabels) {
    const chip = found(l);
    if (chip) return chip;
  }
  throw new GpioUnavailableError(`no Raspberry Pi GPIO chip (${piChipLabels.join(', ')}) found; found: ${describeChips(chips)}. Set gpio.chip_label to use another chip`);
}

/** The sysfs number of BCM pin `pin` on `chip`; a pin the chip does not have is an error. */
export function sysfsLine(chip: GpioChip, pin: number): number {
  if (!Number.isInteger(pin) || pin < 0 || pin >= chip.ngpio) {
    throw new GpioUnavailableError(`pin ${pin} is not a line of ${chip.name} (${chip.label}), which has lines 0..${chip.ngpio - 1}`);
  }
  return chip.base + pin;
}

function describeChips(chips: readonly GpioChip[]): string {
  return chips.length === 0 ? 'none' : chips.map((c) => `${c.name} "${c.label}" base ${c.base} (${c.ngpio} lines)`).join('; ');
}

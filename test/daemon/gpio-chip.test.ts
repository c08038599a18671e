import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickChip, readChips, sysfsLine } from '../../src/daemon/gpio/chip.js';
import { GpioUnavailableError } from '../../src/daemon/gpio/driver.js';

// Listings as /sys/class/gpio shows them on real boards (base, ngpio, label per chip).
const listings: Record<string, [string, number, number, string][]> = {
  // Pi 4, kernel 6.1: the SoC chip starts at 0.
  pi4Kernel61: [['gpiochip0', 0, 58, 'pinctrl-bcm2711'], ['gpiochip504', 504, 8, 'raspberrypi-exp-gpio']],
  // Pi 4, kernel 6.6: dynamic bases from 512.
  pi4Kernel66: [['gpiochip512', 512, 58, 'pinctrl-bcm2711'], ['gpiochip570', 570, 8, 'raspberrypi-exp-gpio']],
  // Pi 5, kernel 6.6: the RP1's header GPIOs at 571, after the SoC's brcmstb chips.
  pi5Kernel66: [
    ['gpiochip512', 512, 32, 'gpio-brcmstb@107d508500'], ['gpiochip544', 544, 4, 'gpio-brcmstb@107d508520'],
    ['gpiochip548', 548, 17, 'gpio-brcmstb@107d517c00'], ['gpiochip565', 565, 6, 'gpio-brcmstb@107d517c20'],
    ['gpiochip571', 571, 54, 'pinctrl-rp1'],
  ],
  // Pi Zero / 3 on 6.6.
  pi3Kernel66: [['gpiochip512', 512, 54, 'pinctrl-bcm2835'], ['gpiochip566', 566, 8, 'raspberrypi-exp-gpio']],
  // A PC with a USB GPIO expander: no Pi chip.
  pc: [['gpiochip0', 0, 8, 'ftdi-cbus']],
};

function fakeSysfs(chips: [string, number, number, string][]): string {
  const root = mkdtempSync(join(tmpdir(), 'nibble-sysfs-'));
  // sysfs also holds export/unexport and exported lines; they must be ignored.
  writeFileSync(join(root, 'export'), '');
  mkdirSync(join(root, 'gpio529'));
  for (const [name, base, ngpio, label] of chips) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'base'), `${base}\n`);
    writeFileSync(join(root, name, 'ngpio'), `${ngpio}\n`);
    writeFileSync(join(root, name, 'label'), `${label}\n`);
  }
  return root;
}

t.test('BCM pins map to base + pin on the Pi SoC chip of each board and kernel', async (t) => {
  const expected: Record<string, [number, number]> = { pi4Kernel61: [0, 17], pi4Kernel66: [512, 529], pi5Kernel66: [571, 588], pi3Kernel66: [512, 529] };
  for (const [board, [base, gpio17]] of Object.entries(expected)) {
    const chips = readChips(fakeSysfs(listings[board]));
    t.equal(chips.length, listings[board].length, `${board}: every chip read`);
    const chip = pickChip(chips, null);
    t.equal(chip.base, base, `${board}: chip base`);
    t.equal(sysfsLine(chip, 17), gpio17, `${board}: BCM 17`);
    t.equal(sysfsLine(chip, 0), base, `${board}: BCM 0`);
  }
});

t.test('chips are sorted by base and a label in the config picks another chip', async (t) => {
  const chips = readChips(fakeSysfs(listings.pi5Kernel66));
  t.same(chips.map((c) => c.base), [512, 544, 548, 565, 571]);
  const exp = pickChip(chips, 'gpio-brcmstb@107d517c00');
  t.equal(sysfsLine(exp, 2), 550);
  t.throws(() => pickChip(chips, 'nope'), { name: 'GpioUnavailableError', message: /no gpiochip labelled "nope".*pinctrl-rp1" base 571/ });
});

t.test('pins outside the chip, a board without a Pi chip, and no sysfs at all are GpioUnavailableError', async (t) => {
  const pi5 = pickChip(readChips(fakeSysfs(listings.pi5Kernel66)), null);
  t.equal(sysfsLine(pi5, 53), 624);
  t.throws(() => sysfsLine(pi5, 54), { message: /pin 54 is not a line of gpiochip571 \(pinctrl-rp1\), which has lines 0\.\.53/ });
  t.throws(() => sysfsLine(pi5, -1), GpioUnavailableError);
  t.throws(() => pickChip(readChips(fakeSysfs(listings.pc)), null), { message: /no Raspberry Pi GPIO chip .* found: gpiochip0 "ftdi-cbus" base 0 \(8 lines\)\. Set gpio.chip_label/ });
  t.throws(() => pickChip(readChips(fakeSysfs([])), null), { message: /found: none/ });
  t.throws(() => readChips(join(tmpdir(), 'no-such-sysfs-gpio')), { name: 'GpioUnavailableError', message: /does not exist: this machine has no sysfs GPIO/ });
});

t.test('the onoff driver loads lazily and reports a machine without sysfs GPIO as unavailable', { skip: existsSync('/sys/class/gpio') ? 'this machine has sysfs GPIO' : false }, async (t) => {
  const { loadOnoffDriver } = await import('../../src/daemon/gpio/onoff-driver.js');
  await t.rejects(loadOnoffDriver(), { name: 'GpioUnavailableError', message: /sysfs GPIO \(\/sys\/class\/gpio\) is not accessible/ });
});

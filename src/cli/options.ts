import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';

type Values = Record<string, unknown>;

/** An integer option, checked against a range; `fallback` when absent. */
export function intOption(values: Values, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${name} ${String(raw)}: must be an integer from ${min} to ${max}`);
  return n;
}

/** A number option, checked against a range; `fallback` when absent. */
export function numberOption(values: Values, name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n) || n < min || n > max) throw new UserError(`--${name} ${String(raw)}: must be a number from ${min} to ${max}`);
  return n;
}

export function requiredString(values: Values, name: string, flag = `--${name}`): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UserError(`${flag} is required`);
  return v;
}

/** Exactly one of --NAME text and --NAME-file path; a file is read as UTF-8, byte for byte. */
export function textOrFile(values: Values, name: string, fileName = `${name}-file`): string {
  const text = values[name];
  const file = values[fileName];
  if ((typeof text === 'string') === (typeof file === 'string')) throw new UserError(`give exactly one of --${name} and --${fileName}`);
  return typeof text === 'string' ? text : readFileSync(file as string).toString('utf8');
}

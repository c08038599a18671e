// Where the shared llama.cpp reference data lives: beside the checkout, never inside it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const referenceDir = process.env.NIBBLE_REFERENCE_DIR ?? resolve(repoRoot, '../shared/reference');

export function referencePath(...parts: string[]): string {
  const p = join(referenceDir, ...parts);
  if (!existsSync(p)) throw new Error(`reference data missing: ${p} (set NIBBLE_REFERENCE_DIR)`);
  return p;
}

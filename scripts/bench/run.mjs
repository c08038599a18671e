#!/usr/bin/env node
// npm run bench: nibble against native llama.cpp; runs from the built dist/
// (npm run build first). Options: npm run bench -- --help
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(root, 'dist', 'bench', 'run.js');
if (!existsSync(entry)) {
  process.stderr.write('bench: dist/ is missing; run "npm run build" (and "npm run build:kernels") first\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
try {
  process.exit(await main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exit(1);
}

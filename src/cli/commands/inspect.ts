import { readGguf, type GgufFile } from '../../engine/gguf/reader.js';
import { toJsonValue } from '../../engine/gguf/value-types.js';
import type { Command } from '../main.js';
import { UserError } from '../errors.js';

export const inspectCommand: Command = {
  summary: 'show a GGUF model: architecture, metadata, tensors',
  usage: 'MODEL [--json]',
  options: { json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UserError('give exactly one MODEL path');
    const file = readGguf(positionals[0]);
    process.stdout.write(values.json ? JSON.stringify(inspectJson(file)) + '\n' : summary(file));
    return 0;
  },
};

export function inspectJson(file: GgufFile): object {
  const metadata: Record<string, unknown> = {};
  for (const [key, kv] of file.metadata) metadata[key] = toJsonValue(kv);
  return {
    architecture: metadata['general.architecture'] ?? null,
    metadata,
    tensors: file.tensors.map((t) => ({ name: t.name, type: t.type.name, shape: t.dims, offset: t.offset })),
  };
}

function summary(file: GgufFile): string {
  const meta = (key: string) => file.metadata.get(key)?.value;
  const arch = String(meta('general.architecture') ?? 'unknown');
  const params = file.tensors.reduce((n, t) => n + t.nElements, 0);
  const mix = new Map<string, number>();
  for (const t of file.tensors) mix.set(t.type.name, (mix.get(t.type.name) ?? 0) + 1);
  const tokens = file.metadata.get('tokenizer.ggml.tokens');
  const lines = [
    ['file', `${file.path} (${formatBytes(file.fileSize)}, GGUF v${file.version})`],
    ['name', String(meta('general.name') ?? '-')],
    ['architecture', arch],
    ['parameters', formatCount(params)],
    ['weight types', [...mix].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} x${n}`).join(', ') || '-'],
    ['context length', String(meta(`${arch}.context_length`) ?? '-')],
    ['embedding', String(meta(`${arch}.embedding_length`) ?? '-')],
    ['layers', String(meta(`${arch}.block_count`) ?? '-')],
    ['tokenizer', `${String(meta('tokenizer.ggml.model') ?? 'none')}${meta('tokenizer.ggml.pre') ? ` (pre ${String(meta('tokenizer.ggml.pre'))})` : ''}${tokens ? `, ${(tokens.value as { items: unknown[] }).items.length} tokens` : ''}`],
    ['chat template', meta('tokenizer.chat_template') ? 'yes' : 'no'],
    ['metadata keys', String(file.metadata.size)],
    ['tensors', String(file.tensors.length)],
  ];
  return lines.map(([k, v]) => `${k.padEnd(15)} ${v}`).join('\n') + '\n';
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return n >= 1e3 ? `${(n / 1e3).toFixed(1)} K` : String(n);
}

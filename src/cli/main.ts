import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GgufError } from '../engine/gguf/errors.js';
import { ModelError } from '../engine/model/errors.js';
import { TokenizerError } from '../engine/tokenizer/errors.js';
import { UserError } from './errors.js';
import { commands } from './registry.js';

const usage = `usage: nibble <command> [options]

commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(11)} ${c.summary}`).join('\n')}

Run "nibble <command> --help" for a command's options.`;

/** Runs one CLI invocation and returns its exit code. Only bin/nibble exits. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`nibble: unknown command "${name}"\n${usage}\n`);
    return 2;
  }
  try {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`usage: nibble ${name} ${command.usage}\n`);
      return 0;
    }
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    return await command.run(values as Record<string, unknown>, positionals);
  } catch (err) {
    if (isUserFacing(err)) {
      process.stderr.write(`nibble ${name}: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

function isUserFacing(err: unknown): boolean {
  if (err instanceof UserError || err instanceof GgufError || err instanceof ModelError || err instanceof TokenizerError) return true;
  const code = (err as { code?: string })?.code;
  // parseArgs errors and file-system errors on a path the user gave
  return typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR'].includes(code));
}

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

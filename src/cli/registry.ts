import type { Command } from './main.js';
import { inspectCommand } from './commands/inspect.js';
import { makeModelCommand } from './commands/make-model.js';
import { tokenizeCommand } from './commands/tokenize.js';

/** Every CLI command, by name. */
export const commands: Record<string, Command> = {
  inspect: inspectCommand,
  'make-model': makeModelCommand,
  tokenize: tokenizeCommand,
};

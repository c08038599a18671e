import type { Command } from './main.js';
import { inspectCommand } from './commands/inspect.js';

/** Every CLI command, by name. */
export const commands: Record<string, Command> = {
  inspect: inspectCommand,
};

import type { Command } from './main.js';
import { inspectCommand } from './commands/inspect.js';
import { makeModelCommand } from './commands/make-model.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { serveCommand } from './commands/serve.js';
import { askCommand } from './commands/ask.js';
import { logCommand } from './commands/log.js';
import { pullCommand } from './commands/pull.js';
import { runCommand } from './commands/run.js';
import { evalCommand } from './commands/eval.js';
import { benchCommand } from './commands/bench.js';

/** Every CLI command, by name. */
export const commands: Record<string, Command> = {
  inspect: inspectCommand,
  'make-model': makeModelCommand,
  tokenize: tokenizeCommand,
  serve: serveCommand,
  ask: askCommand,
  log: logCommand,
  pull: pullCommand,
  run: runCommand,
  eval: evalCommand,
  bench: benchCommand,
};

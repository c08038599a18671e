/** Log levels, most important first. */
export const logLevels = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

// sd-daemon(3) priority prefixes: the journal files each line at its level.
const journalPriority: Record<LogLevel, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/** A logger writing one line per message; under systemd (JOURNAL_STREAM set) lines carry the journal priority prefix. */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l), journal = Boolean(process.env.JOURNAL_STREAM)): Logger {
  const max = logLevels.indexOf(level);
  const make = (l: LogLevel) => (message: string) => {
    if (logLevels.indexOf(l) > max) return;
    write(journal ? `<${journalPriority[l]}>${message}\n` : `${new Date().toISOString()} ${l}: ${message}\n`);
  };
  return { error: make('error'), warn: make('warn'), info: make('info'), debug: make('debug') };
}

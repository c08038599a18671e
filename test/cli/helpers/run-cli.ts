import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixture = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'nibble.ts');
const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));

/** Starts `nibble ARGS` from source in a child process. */
export function startCli(args: string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...loader, fixture, ...args], { env, stdio: 'pipe' });
}

/** Runs `nibble ARGS` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`nibble ${args.join(' ')} timed out; stderr: ${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** The environment of a test run, without the variables nibble reads, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('NIBBLE_') || ['HF_ENDPOINT', 'HF_TOKEN', 'NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'STATE_DIRECTORY', 'CONFIGURATION_DIRECTORY'].includes(k)) delete env[k];
  return { ...env, ...extra };
}

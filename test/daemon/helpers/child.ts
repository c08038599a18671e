// Runs a TypeScript fixture in a child Node process with the same TypeScript
// loader tap gives this test, so a real process can be killed with SIGKILL.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcessWithoutNullStreams {
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript'));
  return spawn(process.execPath, [...loader, script, ...args], { env, stdio: 'pipe' });
}

/** Resolves with the first line of `child`'s stdout that matches, rejects if it exits first. */
export function waitForLine(child: ChildProcessWithoutNullStreams, re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${re} (stdout: ${buf.slice(-500)}, stderr: ${err.slice(-500)})`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        const m = line.match(re);
        if (m) return done(null, m);
      }
    };
    const onErr = (d: Buffer) => { err += d.toString(); };
    const onExit = (code: number | null) => done(new Error(`child exited (${code}) before ${re}; stderr: ${err.slice(-2000)}`));
    function done(e: Error | null, m?: RegExpMatchArray) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onErr);
      child.off('exit', onExit);
      if (e) reject(e); else resolve(m!);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onErr);
    child.on('exit', onExit);
  });
}

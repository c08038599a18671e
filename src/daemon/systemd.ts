import { spawn } from 'node:child_process';
import type { Logger } from './logger.js';

export interface SystemdNotifierOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The engine's liveness: the watchdog is fed only while it is true. */
  isAlive: () => boolean;
  pid?: number;
}

/**
 * Type=notify support. READY and STATUS go through the npm package
 * systemd-notify (which runs the systemd-notify binary); that package cannot
 * send WATCHDOG=1 or STOPPING=1, so those run the same binary with the
 * assignment as an argument. Node has no AF_UNIX datagram sockets, so a child
 * process sends every message: the unit needs NotifyAccess=all. Messages are
 * sent one at a time, in order; a STATUS superseded before it was sent is
 * dropped. Without NOTIFY_SOCKET (not under systemd) nothing is sent.
 */
export class SystemdNotifier {
  private readonly pending: string[][] = [];
  private sending: Promise<void> | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private starved = false;

  constructor(private readonly options: SystemdNotifierOptions) {}

  get enabled(): boolean { return Boolean(this.options.env.NOTIFY_SOCKET); }

  /** The period at which WATCHDOG=1 is due (half of WATCHDOG_USEC), or null when systemd set no watchdog for us. */
  get watchdogIntervalMs(): number | null {
    const { WATCHDOG_USEC, WATCHDOG_PID } = this.options.env;
    if (!this.enabled || !WATCHDOG_USEC || !/^\d+$/.test(WATCHDOG_USEC)) return null;
    if (WATCHDOG_PID && Number(WATCHDOG_PID) !== this.pid) return null;
    return Math.max(1, Math.floor(Number(WATCHDOG_USEC) / 2000));
  }

  ready(status: string): Promise<void> { return this.send(['READY=1', `STATUS=${status}`]); }
  status(status: string): Promise<void> { return this.send([`STATUS=${status}`]); }
  stopping(status = 'stopping'): Promise<void> { return this.send(['STOPPING=1', `STATUS=${status}`]); }

  /** Starts feeding the watchdog at half of WATCHDOG_USEC, skipping every beat on which the engine is not alive. */
  startWatchdog(): void {
    const interval = this.watchdogIntervalMs;
    if (interval === null || this.watchdog) return;
    this.watchdog = setInterval(() => {
      if (this.options.isAlive()) {
        if (this.starved) this.options.logger.info('engine alive again; feeding the watchdog');
        this.starved = false;
        void this.send(['WATCHDOG=1']);
      } else if (!this.starved) {
        this.starved = true;
        this.options.logger.error('the engine is not alive: no longer feeding the systemd watchdog (systemd restarts nibble if it stays so)');
      }
    }, interval);
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  /** Resolves when every message so far has been handed to systemd. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private get pid(): number { return this.options.pid ?? process.pid; }

  private send(assignments: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const last = this.pending.at(-1);
    // A newer status replaces one still waiting: systemd shows only the latest.
    if (last && last.length === 1 && last[0].startsWith('STATUS=') && assignments.length === 1 && assignments[0].startsWith('STATUS=')) {
      last[0] = assignments[0];
    } else {
      this.pending.push(assignments);
    }
    this.sending ??= this.drain().finally(() => { this.sending = null; });
    return this.sending;
  }

  private async drain(): Promise<void> {
    for (let next = this.pending.shift(); next; next = this.pending.shift()) {
      try {
        await this.deliver(next);
      } catch (err) {
        this.options.logger.warn(`systemd notify ${next.join(' ')} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async deliver(assignments: string[]): Promise<void> {
    const ready = assignments.includes('READY=1');
    const status = assignments.find((a) => a.startsWith('STATUS='))?.slice('STATUS='.length);
    const others = assignments.filter((a) => a !== 'READY=1' && !a.startsWith('STATUS='));
    if (others.length === 0) {
      const { default: notify } = await import('systemd-notify');
      await notify({ ...(ready ? { ready: true } : {}), ...(status !== undefined ? { status } : {}), pid: this.pid });
      return;
    }
    await run('systemd-notify', [`--pid=${this.pid}`, ...(ready ? ['--ready'] : []), ...(status !== undefined ? [`--status=${status}`] : []), ...others], this.options.env);
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `${cmd} exited with ${code}`))));
  });
}

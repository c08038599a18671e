import { spawn } from 'node:child_process';
import type { Logger } from './logger.js';

/** Least time between two STATUS= messages. */
const STATUS_EVERY_MS = 1000;

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
  private statusTimer: NodeJS.Timeout | null = null;
  private nextStatus: string | null = null;
  private lastStatusAt = 0;

  constructor(private readonly options: SystemdNotifierOptions) {}

  get enabled(): boolean { return Boolean(this.options.env.NOTIFY_SOCKET); }

  /** The period at which WATCHDOG=1 is due (half of WATCHDOG_USEC), or null when systemd set no watchdog for us. */
  get watchdogIntervalMs(): number | null {
    const { WATCHDOG_USEC, WATCHDOG_PID } = this.options.env;
    if (!this.enabled || !WATCHDOG_USEC || !/^\d+$/.test(WATCHDOG_USEC)) return null;
    if (WATCHDOG_PID && Number(WATCHDOG_PID) !== this.pid) return null;
    return Math.max(1, Math.floor(Number(WATCHDOG_USEC) / 2000));
  }

  ready(status: string): Promise<void> {
    this.sendStatusNow();
    return this.send(['READY=1', `STATUS=${status}`]);
  }

  /**
   * STATUS= for people reading `systemctl status`: at most one per
   * STATUS_EVERY_MS (the latest wins), since every message costs a process.
   */
  status(status: string): void {
    if (!this.enabled) return;
    this.nextStatus = status;
    if (this.statusTimer) return;
    const wait = Math.max(0, this.lastStatusAt + STATUS_EVERY_MS - Date.now());
    this.statusTimer = setTimeout(() => this.sendStatusNow(), wait);
    this.statusTimer.unref();
  }

  stopping(status = 'stopping'): Promise<void> {
    this.dropStatus();
    return this.send(['STOPPING=1', `STATUS=${status}`]);
  }

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

  /** Resolves when every message so far (a throttled status included) has been handed to systemd. */
  async flush(): Promise<void> {
    this.sendStatusNow();
    while (this.sending) await this.sending;
  }

  private get pid(): number { return this.options.pid ?? process.pid; }

  private sendStatusNow(): void {
    const status = this.nextStatus;
    this.dropStatus();
    if (status === null) return;
    this.lastStatusAt = Date.now();
    void this.send([`STATUS=${status}`]);
  }

  private dropStatus(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = null;
    this.nextStatus = null;
  }

  private send(assignments: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    // A message identical in kind to one still waiting replaces it: systemd
    // shows only the latest status, and one pending ping is as good as two.
    const kind = (a: string[]) => (a.length === 1 ? a[0].split('=')[0] : null);
    const k = kind(assignments);
    const waiting = k ? this.pending.findIndex((p) => kind(p) === k) : -1;
    if (waiting >= 0) this.pending[waiting] = assignments;
    else this.pending.push(assignments);
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

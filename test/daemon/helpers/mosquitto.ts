// Starts a real mosquitto on a random loopback port for a test (mosquitto is
// an apt package that .ci/run installs; it is not running as a service).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const candidates = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'];
export const mosquittoPath = candidates.find((p) => existsSync(p)) ?? (spawnSync('which', ['mosquitto']).stdout?.toString().trim() || null);

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export class Mosquitto {
  private proc: ChildProcess | null = null;
  readonly conf: string;
  log = '';

  /** With `persistence`, sessions and queued messages survive a restart of the broker (saved on SIGTERM). */
  constructor(readonly port: number, persistence = false) {
    const dir = mkdtempSync(join(tmpdir(), 'nibble-mosquitto-'));
    // Started as root, mosquitto drops to its own user, which must be able to write the persistence file here.
    chmodSync(dir, 0o777);
    this.conf = join(dir, 'mosquitto.conf');
    const store = persistence ? `persistence true\npersistence_location ${dir}/\n` : 'persistence false\n';
    writeFileSync(this.conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${store}log_dest stderr\nlog_type error\nlog_type warning\n`);
  }

  get url(): string { return `mqtt://127.0.0.1:${this.port}`; }

  static async start(port?: number, persistence = false): Promise<Mosquitto> {
    const m = new Mosquitto(port ?? await freePort(), persistence);
    await m.start();
    return m;
  }

  async start(): Promise<void> {
    if (!mosquittoPath) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
    const proc = spawn(mosquittoPath, ['-c', this.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => { this.log += d.toString(); });
    this.proc = proc;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${this.log}`);
      if (await canConnect(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port}: ${this.log}`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    this.proc = null;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

// End-to-end helpers: the real daemon (`nibble serve` from source, in its own
// process), the real engine behind the port, a synthetic model made by
// `nibble make-model`, real brokers and MQTT clients.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { engineModuleUrl, loadEngineFactory } from '../../../src/daemon/engine-loader.js';
import { referencePath } from '../../helpers/reference.js';
import { cli } from '../../cli/helpers/in-process.js';
import { cleanEnv, startCli } from '../../cli/helpers/run-cli.js';

/** Why the end-to-end tests cannot run, or false: only when the engine module is absent. */
export async function engineMissing(): Promise<string | false> {
  try {
    await loadEngineFactory(engineModuleUrl);
    return false;
  } catch (err) {
    if ((err as Error).name === 'EngineUnavailableError') return 'engine not yet available';
    throw err;
  }
}

/** A small synthetic llama model with a real 32k SentencePiece vocabulary (no chat template: prompts run raw). */
/** A synthetic llama; `shape` is make-model's dim,layers,heads,kv_heads,ff. */
export async function makeTestModel(ctx = 256, shape = '64,2,4,2,128'): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'nibble-e2e-model-')), 'e2e.gguf');
  const r = await cli(['make-model', '--arch', 'llama', '--shape', shape, '--type', 'Q4_0', '--vocab', referencePath('vocab', 'ggml-vocab-llama-spm.gguf'), '-o', out, '--ctx', String(ctx), '--seed', '7'], {});
  if (r.code !== 0) throw new Error(`make-model failed: ${r.stderr}`);
  return out;
}

export function writeConfig(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'nibble-e2e-conf-')), 'config.yaml');
  writeFileSync(p, text);
  return p;
}

export class Daemon {
  logs = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stderr.on('data', (d: Buffer) => { this.logs += d.toString(); });
    proc.stdout.on('data', (d: Buffer) => { this.logs += d.toString(); });
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(env: Record<string, string>, args: string[] = []): Promise<Daemon> {
    const d = new Daemon(startCli(['serve', ...args], cleanEnv(env)));
    await d.waitLog(/nibble serving/, 120_000);
    return d;
  }

  async waitLog(re: RegExp, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.logs)) {
      if (this.proc.exitCode !== null) throw new Error(`daemon exited (${this.proc.exitCode}) before ${re}:\n${this.logs}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${this.logs}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }
}

export interface Answer { topic: string; json: Record<string, any>; correlation?: Buffer }

/** An MQTT client that records every message on the topics it subscribes to. */
export class Asker {
  readonly answers: Answer[] = [];
  readonly pieces = new Map<string, string>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: Record<string, any>;
      try { json = JSON.parse(payload.toString()); } catch { return; }
      if (typeof json.delta === 'string') this.pieces.set(json.id, (this.pieces.get(json.id) ?? '') + json.delta);
      // Answers carry an id and a text or an error (the state topic's JSON does not).
      else if (typeof json.id === 'string' && ('text' in json || 'error' in json)) this.answers.push({ topic, json, correlation: packet.properties?.correlationData });
    });
  }

  static async connect(url: string, options: IClientOptions = {}): Promise<Asker> {
    return new Asker(await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 200, ...options }));
  }

  async waitAnswers(n: number, ms = 120_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.answers.length < n) {
      if (Date.now() > end) throw new Error(`only ${this.answers.length} of ${n} answers`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  end(): Promise<void> { return this.client.endAsync(true); }
}

export async function logJson(dataDir: string): Promise<Record<string, any>[]> {
  const r = await cli(['log', '--json', '--tail', '100000'], { NIBBLE_DATA_DIR: dataDir });
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

// One measurement = one fresh child process (nibble's `bench --json`, or
// llama.cpp through dist/bench/peer-main.js) under a given Node, watched for
// other load on the machine; shared by npm run bench and npm run bench:kernels.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BusyMeter } from './machine.js';
import type { BenchModel } from './models.js';
import { nibbleBin, repoRoot } from './paths.js';
import { peerEntry } from './peer.js';
import type { Sample } from './summary.js';

export interface NodeBin { label: string; bin: string; version: string }

/** node-llama-cpp in .cache/peer, installed by scripts/peer/install.sh when missing. */
export function ensurePeer(): void {
  if (existsSync(peerEntry)) return;
  process.stderr.write('bench: installing node-llama-cpp into .cache/peer (scripts/peer/install.sh)\n');
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'peer', 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !existsSync(peerEntry)) throw new Error('node-llama-cpp install failed');
}

/** Node binaries by major version; Node 24 is fetched into .cache/ by scripts/fetch-node.sh when missing. */
export function resolveNodes(majors: string[]): NodeBin[] {
  const out: NodeBin[] = [];
  for (const major of [...new Set(majors)]) {
    let bin: string;
    if (process.versions.node.split('.')[0] === major) bin = process.execPath;
    else {
      const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
      const r = spawnSync('bash', [join(repoRoot, 'scripts', 'fetch-node.sh'), arch, major], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      bin = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !existsSync(bin)) throw new Error(`cannot get Node ${major} (scripts/fetch-node.sh ${arch} ${major} failed)`);
    }
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    out.push({ label: `node${major}`, bin, version });
  }
  return out;
}

function lastJson(stdout: string): unknown {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error('no JSON on stdout');
  return JSON.parse(line);
}

export function measure(engine: Sample['engine'], node: NodeBin, m: BenchModel, threads: number, p: number, n: number, runs: number, rep: number): Sample {
  const args = engine === 'nibble'
    ? [nibbleBin, 'bench', '-m', m.path, '-t', String(threads), '-p', String(p), '-n', String(n), '-r', String(runs), '--json']
    : [join(repoRoot, 'dist', 'bench', 'peer-main.js'), '-m', m.path, '-t', String(threads), '-p', String(p), '-n', String(n), '-r', String(runs)];
  const meter = new BusyMeter();
  meter.start();
  const t0 = performance.now();
  const r = spawnSync(node.bin, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 30 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = performance.now() - t0;
  try {
    if (r.status !== 0) throw new Error(`exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
    const result = lastJson(r.stdout) as Sample['result'] & { cpu_ms: number };
    return { engine, node: node.label, rep, wall_ms: wall, busy: meter.end(result.cpu_ms), result };
  } catch (err) {
    return { engine, node: node.label, rep, wall_ms: wall, busy: meter.end(undefined), error: (err as Error).message };
  }
}


// What the machine is and how busy it is. Two cores shared with anything
// else make speed figures meaningless, so every measurement records the
// load average and the CPU time that processes other than the measured one
// used while it ran (from /proc/stat, less the child's own CPU time).
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  mem_gib: number;
  kernel: string;
  flags: string[];
}

export function machineInfo(): MachineInfo {
  let flags: string[] = [];
  let kernel = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags') || l.startsWith('Features'));
    const wanted = /^(avx2|avx512f|avx512_vnni|avx_vnni|fma|asimd|asimddp|sve|i8mm)$/;
    flags = (line?.split(':')[1] ?? '').trim().split(/\s+/).filter((f) => wanted.test(f));
    kernel = readFileSync('/proc/version', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    // not Linux: the flags and kernel stay empty
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), mem_gib: totalmem() / 2 ** 30, kernel, flags };
}

/** Busy and total CPU time of the whole machine so far, ms (all cores; USER_HZ = 100). */
export function cpuTimes(): { busyMs: number; totalMs: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest is inside user); steal is the
    // hypervisor's, not a process here, so it counts as neither busy nor idle
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0] = f;
    const busy = user + nice + system + irq + softirq;
    return { busyMs: busy * 10, totalMs: (busy + idle + iowait) * 10 };
  } catch {
    return undefined;
  }
}

/**
 * CPU time of this process's waited-for children and all their descendants,
 * ms (/proc/self/stat cutime + cstime): counts what a child's own helpers
 * used too (node-llama-cpp tests its binary in a subprocess).
 */
export function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm)": state is f[0], so utime is f[11]; cutime f[13], cstime f[14]
    return (Number(f[13]) + Number(f[14])) * 10;
  } catch {
    return undefined;
  }
}

export interface BusyRecord {
  /** 1-minute load average at the start and the end. */
  load_start: number;
  load_end: number;
  /** Cores' worth of CPU that other processes used on average during the run (null: unknown). */
  foreign_cores: number | null;
}

/** Watches one child's run: call start() before spawning and end(childCpuMs) after it exits. */
export class BusyMeter {
  private t0 = 0;
  private load0 = 0;
  private cpu0: ReturnType<typeof cpuTimes>;
  private children0: number | undefined;

  start(): void {
    this.t0 = performance.now();
    this.load0 = loadavg()[0]!;
    this.cpu0 = cpuTimes();
    this.children0 = childrenCpuMs();
  }

  /** childCpuMs: the child's own report, used where /proc cannot count its whole tree. */
  end(childCpuMs: number | undefined): BusyRecord {
    const wall = performance.now() - this.t0;
    const cpu1 = cpuTimes();
    const children1 = childrenCpuMs();
    if (this.children0 !== undefined && children1 !== undefined && children1 > this.children0) childCpuMs = children1 - this.children0;
    let foreign: number | null = null;
    if (this.cpu0 && cpu1 && childCpuMs !== undefined && wall > 0) {
      foreign = Math.max(0, (cpu1.busyMs - this.cpu0.busyMs - childCpuMs) / wall);
    }
    return { load_start: this.load0, load_end: loadavg()[0]!, foreign_cores: foreign };
  }
}

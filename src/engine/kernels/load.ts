// Finds and compiles the kernel module. Two builds exist (kernels/README.md):
// nibble-relaxed.wasm needs relaxed SIMD and Node >= 22, nibble-simd128.wasm
// runs on every Node >= 20. WebAssembly.validate on the relaxed build's own
// bytes is the probe: an engine without relaxed SIMD rejects the whole
// module. Node 20's V8 (11.3) accepts it behind --experimental-wasm-relaxed-simd
// but its baseline compiler miscompiles i32x4.relaxed_dot_i8x16_i7x16_add_s
// (the accumulator is dropped), which the relaxed kernels use; Node 22's
// (12.4) and later compile it right in both tiers.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelError } from './errors.js';

export type KernelBuild = 'simd128' | 'relaxed';
export type KernelBuildChoice = KernelBuild | 'auto';

export interface LoadedKernelModule {
  build: KernelBuild;
  module: WebAssembly.Module;
}

/** kernels/build, found from this file in src/ (tests) or dist/ (installed). */
export function kernelBuildDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', '..', 'kernels', 'build');
}

function readBuild(build: KernelBuild): Uint8Array {
  const path = join(kernelBuildDir(), `nibble-${build}.wasm`);
  if (!existsSync(path)) {
    throw new KernelError(`kernel module ${path} is missing: run "npm run build:kernels" (npm install does it)`);
  }
  return readFileSync(path);
}

/**
 * Compiles the requested build; 'auto' (default, or NIBBLE_KERNELS=simd128|relaxed)
 * takes the relaxed build where the engine validates it, else SIMD128.
 */
export function loadKernelModule(choice: KernelBuildChoice = defaultChoice()): LoadedKernelModule {
  if (choice === 'relaxed' || choice === 'auto') {
    const bytes = readBuild('relaxed');
    if (relaxedBuildRuns(bytes)) return { build: 'relaxed', module: new WebAssembly.Module(bytes) };
    if (choice === 'relaxed') {
      throw new KernelError(`the relaxed build needs relaxed SIMD and Node >= 22 (this is ${process.version}); use the simd128 build`);
    }
  }
  const bytes = readBuild('simd128');
  if (!WebAssembly.validate(bytes)) {
    throw new KernelError('this JavaScript engine lacks WebAssembly SIMD128 or threads, which nibble needs (Node >= 20 has both)');
  }
  return { build: 'simd128', module: new WebAssembly.Module(bytes) };
}

/** Whether this engine can run the relaxed build (its bytes, or the file's). */
export function relaxedBuildRuns(bytes: Uint8Array = readBuild('relaxed')): boolean {
  const v8Major = Number(process.versions.v8.split('.')[0]);
  return v8Major >= 12 && WebAssembly.validate(bytes);
}

function defaultChoice(): KernelBuildChoice {
  const env = process.env['NIBBLE_KERNELS'];
  if (env === undefined || env === '' || env === 'auto') return 'auto';
  if (env === 'simd128' || env === 'relaxed') return env;
  throw new KernelError(`NIBBLE_KERNELS=${env} is not one of auto, simd128, relaxed`);
}

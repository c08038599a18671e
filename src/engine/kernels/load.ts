// Finds and compiles the kernel module. Two builds exist (kernels/README.md):
// nibble-relaxed.wasm needs relaxed SIMD (on by default from Node 21; Node 20
// only with --experimental-wasm-relaxed-simd), nibble-simd128.wasm runs on
// every Node >= 20. WebAssembly.validate on the relaxed build's own bytes is
// the probe: an engine without relaxed SIMD rejects the whole module.
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
    if (WebAssembly.validate(bytes)) return { build: 'relaxed', module: new WebAssembly.Module(bytes) };
    if (choice === 'relaxed') {
      throw new KernelError('this JavaScript engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use the simd128 build');
    }
  }
  const bytes = readBuild('simd128');
  if (!WebAssembly.validate(bytes)) {
    throw new KernelError('this JavaScript engine lacks WebAssembly SIMD128 or threads, which nibble needs (Node >= 20 has both)');
  }
  return { build: 'simd128', module: new WebAssembly.Module(bytes) };
}

function defaultChoice(): KernelBuildChoice {
  const env = process.env['NIBBLE_KERNELS'];
  if (env === undefined || env === '' || env === 'auto') return 'auto';
  if (env === 'simd128' || env === 'relaxed') return env;
  throw new KernelError(`NIBBLE_KERNELS=${env} is not one of auto, simd128, relaxed`);
}

import type { EngineFactory } from './engine-port.js';

/**
 * The module that provides the real engine behind the port: it must export
 * `createInferenceEngine: EngineFactory`. The engine side owns that file; the
 * daemon only imports it, lazily, so that `nibble log` and the tests of the
 * daemon's own parts never load the engine.
 */
export const engineModuleUrl = new URL('../engine/inference-engine.js', import.meta.url);

/** The engine is not part of this build yet (or failed to build). */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineUnavailableError';
  }
}

export async function loadEngineFactory(url: URL = engineModuleUrl): Promise<EngineFactory> {
  let mod: { createInferenceEngine?: unknown };
  try {
    mod = await import(url.href) as { createInferenceEngine?: unknown };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // Only the engine module itself being absent means "not built"; an error
    // inside it is a real failure and keeps its stack.
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message?.includes(url.pathname.replace(/\.js$/, ''))) {
      throw new EngineUnavailableError(`the inference engine is not part of this build (${url.pathname} is missing)`);
    }
    throw err;
  }
  if (typeof mod.createInferenceEngine !== 'function') {
    throw new EngineUnavailableError(`${url.pathname} does not export createInferenceEngine`);
  }
  return mod.createInferenceEngine as EngineFactory;
}

/** A kernel could not be loaded or run (missing build, unsupported engine, bad arguments, a trap in a worker). */
export class KernelError extends Error {
  override name = 'KernelError';
}

/** A make-model request that cannot be met (bad shape, type or vocabulary); the CLI shows it as one line. */
export class MakeModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MakeModelError';
  }
}

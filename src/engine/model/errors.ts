/** A model nibble cannot run, with a message that says what to do about it. */
export class ModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/** A vocabulary nibble cannot use, or a tokenizer file it cannot read; the message names the key or file. */
export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

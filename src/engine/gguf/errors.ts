/** A GGUF file that nibble cannot read, with the byte offset where it went wrong. */
export class GgufError extends Error {
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, problem: string) {
    super(`${file}: ${problem} (at byte ${offset})`);
    this.name = 'GgufError';
    this.file = file;
    this.offset = offset;
  }
}

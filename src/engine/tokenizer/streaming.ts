// Streaming detokenization: tokens arrive one at a time, text leaves as soon
// as it is final. A token can end inside a UTF-8 character (byte-fallback
// tokens, byte-level BPE pieces of CJK or emoji), so bytes are held until
// the character is complete; a byte that can never be part of a valid
// character comes out as U+FFFD, so no byte is silently dropped. The text
// streamed out, once flushed, equals Tokenizer.decode of the same tokens
// (except that with removeSpecial a final EOS is not taken off: a stream
// cannot know which token is the last; generation stops before printing EOS).
import type { DecodeOptions, Tokenizer } from './tokenizer.js';
import { cleanUpSpacesText } from './clean-spaces.js';

const SPACE = 0x20;
/**
 * The BPE space clean-up decides a character by looking at most this many
 * characters ahead (three passes, each with a short window), so text further
 * back than this from the end can no longer change.
 */
const CLEANUP_LOOKAHEAD = 8;

export class StreamingDetokenizer {
  private readonly decoder = new TextDecoder('utf-8');
  private first = true;
  private skipBos: boolean;
  /** Decoded text not yet emitted (all of it, when the clean-up needs context). */
  private raw = '';
  /** Length of the cleaned text already emitted. */
  private emitted = 0;
  private readonly clean: boolean;

  constructor(private readonly tokenizer: Tokenizer, private readonly options: DecodeOptions = {}) {
    this.clean = tokenizer.vocab.cleanSpaces;
    this.skipBos = (options.removeSpecial ?? false) && tokenizer.vocab.addBos;
  }

  /** Adds one token; returns the text that became final (possibly ""). */
  push(id: number): string {
    const v = this.tokenizer.vocab;
    if (this.first) {
      this.first = false;
      if (this.skipBos && id === v.ids.bos) return '';
      let piece = this.tokenizer.pieceBytes(id, this.options.unparseSpecial ?? false);
      // SPM's prefix space is dropped from the first piece, unless a BOS starts the sequence
      if (v.addSpacePrefix && id !== v.ids.bos && piece.length > 0 && piece[0] === SPACE) piece = piece.subarray(1);
      return this.take(this.decoder.decode(piece, { stream: true }));
    }
    return this.take(this.decoder.decode(this.tokenizer.pieceBytes(id, this.options.unparseSpecial ?? false), { stream: true }));
  }

  /** Ends the stream: any incomplete character comes out as U+FFFD. */
  flush(): string {
    const rest = this.decoder.decode();
    this.raw += rest;
    if (!this.clean) {
      const out = this.raw;
      this.raw = '';
      return out;
    }
    const cleaned = cleanUpSpacesText(this.raw);
    const out = cleaned.slice(this.emitted);
    this.emitted = cleaned.length;
    return out;
  }

  private take(text: string): string {
    this.raw += text;
    if (!this.clean) {
      const out = this.raw;
      this.raw = '';
      return out;
    }
    const cleaned = cleanUpSpacesText(this.raw);
    let stable = Math.max(this.emitted, cleaned.length - CLEANUP_LOOKAHEAD);
    // never cut between the two halves of a surrogate pair
    const c = cleaned.charCodeAt(stable - 1);
    if (stable > this.emitted && c >= 0xd800 && c <= 0xdbff) stable--;
    const out = cleaned.slice(this.emitted, stable);
    this.emitted = stable;
    return out;
  }
}

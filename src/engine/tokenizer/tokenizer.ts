// Text <-> token ids, as llama.cpp's llama_tokenize / llama_token_to_piece /
// llama_detokenize do it, for SentencePiece ("llama") and byte-level BPE
// ("gpt2") vocabularies read from GGUF metadata.
import { BpeEncoder } from './bpe.js';
import { cleanUpSpacesText } from './clean-spaces.js';
import { codepointToByte } from './byte-level.js';
import type { TokenizerMetadata } from './metadata.js';
import { SpecialSplitter } from './special-split.js';
import { SpmEncoder } from './spm.js';
import { Attr, Vocab } from './vocab.js';

export interface EncodeOptions {
  /** Add BOS/EOS as the metadata says (llama.cpp's add_special). Default true. */
  addSpecial?: boolean;
  /** With addSpecial, false leaves out the BOS the metadata asks for (nibble tokenize --no-bos). */
  addBos?: boolean;
  /** Turn special-token text such as <|im_start|> into its control token. Default false. */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop a leading BOS and a trailing EOS where the vocabulary adds them. Default false. */
  removeSpecial?: boolean;
  /** Render control tokens as their text (otherwise they render as nothing). Default false. */
  unparseSpecial?: boolean;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const EMPTY = new Uint8Array(0);
const SPACE = 0x20;

export class Tokenizer {
  readonly vocab: Vocab;
  private readonly splitter: SpecialSplitter;
  private readonly spm?: SpmEncoder;
  private readonly bpe?: BpeEncoder;
  /** Lazily filled piece caches: index 0 without, 1 with special-token text. */
  private readonly pieces: Array<Array<Uint8Array | undefined>> = [[], []];

  constructor(vocab: Vocab) {
    this.vocab = vocab;
    this.splitter = new SpecialSplitter(vocab);
    if (vocab.kind === 'spm') this.spm = new SpmEncoder(vocab);
    else this.bpe = new BpeEncoder(vocab);
  }

  get size(): number { return this.vocab.size; }
  get bos(): number { return this.vocab.ids.bos; }
  get eos(): number { return this.vocab.ids.eos; }
  get addBos(): boolean { return this.vocab.addBos; }
  get addEos(): boolean { return this.vocab.addEos; }
  get chatTemplate(): string | undefined { return this.vocab.chatTemplate; }
  get hasChatTemplate(): boolean { return this.vocab.chatTemplate !== undefined && this.vocab.chatTemplate !== ''; }

  /** Does this token end generation (EOS, EOT, EOM, <|im_end|>, ...)? */
  isEog(id: number): boolean {
    return this.vocab.isEog(id);
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecial = options.addSpecial ?? true;
    const parseSpecial = options.parseSpecial ?? false;
    const v = this.vocab;
    const out: number[] = [];
    const frags = this.splitter.split(text, parseSpecial);
    if (addSpecial && v.addBos && options.addBos !== false) out.push(v.ids.bos);
    if (this.spm) {
      // The space prefix goes before the text at the start and after every special token.
      let prevSpecial = true;
      for (const f of frags) {
        if (typeof f === 'number') {
          out.push(f);
          prevSpecial = true;
          continue;
        }
        this.spm.encode(f, v.addSpacePrefix && prevSpecial, out);
        prevSpecial = false;
      }
    } else {
      for (const f of frags) {
        if (typeof f === 'number') out.push(f);
        else this.bpe!.encode(f, out);
      }
    }
    if (addSpecial && v.addEos) out.push(v.ids.eos);
    return out;
  }

  /** The bytes of one token (llama_token_to_piece with lstrip 0). */
  pieceBytes(id: number, special = false): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.size) throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocab.size - 1})`);
    const cache = this.pieces[special ? 1 : 0];
    let p = cache[id];
    if (p === undefined) {
      p = this.computePiece(id, special);
      cache[id] = p;
    }
    return p;
  }

  /** One token as text; a token that is part of a UTF-8 character gives U+FFFD. */
  piece(id: number, special = false): string {
    return utf8Decoder.decode(this.pieceBytes(id, special));
  }

  private computePiece(id: number, special: boolean): Uint8Array {
    const v = this.vocab;
    const attr = v.attrs[id];
    const text = v.tokens[id];
    if (!special && (attr & (Attr.UNKNOWN | Attr.CONTROL))) return EMPTY;
    if (attr & (Attr.UNKNOWN | Attr.CONTROL | Attr.USER_DEFINED)) return utf8.encode(text);
    if (attr & Attr.NORMAL) {
      if (v.kind === 'spm') return utf8.encode(text.replaceAll('\u2581', ' '));
      return byteLevelDecode(text);
    }
    if (attr & Attr.BYTE) return Uint8Array.of(parseInt(text.slice(3, 5), 16));
    // unused and undefined tokens render as nothing, like control tokens
    return EMPTY;
  }

  /**
   * llama_detokenize: the text of a token sequence. Bytes that do not form
   * UTF-8 become U+FFFD. (The clean-up runs on the decoded text; it only
   * touches ASCII, so this equals llama.cpp's clean-up of the bytes.)
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const text = utf8Decoder.decode(this.rawBytes(ids, options));
    return this.vocab.cleanSpaces ? cleanUpSpacesText(text) : text;
  }

  /** The bytes of a token sequence, before the BPE space clean-up. */
  rawBytes(ids: readonly number[], options: DecodeOptions): Uint8Array {
    const v = this.vocab;
    let first = 0;
    let end = ids.length;
    // SPM's prefix space is taken off the first piece, unless a BOS starts the sequence.
    let removeSpace = v.addSpacePrefix;
    if (options.removeSpecial && v.addBos && end > 0 && ids[0] === v.ids.bos) {
      removeSpace = false;
      first = 1;
    }
    if (options.removeSpecial && v.addEos && end > first && ids[end - 1] === v.ids.eos) end--;
    const special = options.unparseSpecial ?? false;
    // two passes over cached pieces: the length, then the bytes (a plain loop
    // beats TypedArray.set for pieces of a few bytes)
    let total = 0;
    for (let i = first; i < end; i++) total += this.pieceBytes(ids[i], special).length;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let i = first; i < end; i++) {
      const p = this.pieceBytes(ids[i], special);
      let j = removeSpace && p.length > 0 && p[0] === SPACE ? 1 : 0;
      removeSpace = false;
      for (; j < p.length; j++) bytes[at++] = p[j];
    }
    return bytes.subarray(0, at);
  }

}

export function createTokenizer(meta: TokenizerMetadata): Tokenizer {
  return new Tokenizer(new Vocab(meta));
}

/** A byte-level token text back to its bytes; a code point outside the alphabet is shown as llama.cpp shows it. */
function byteLevelDecode(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = codepointToByte(ch.codePointAt(0)!);
    if (b >= 0) {
      out.push(b);
      continue;
    }
    const hex = Array.from(utf8.encode(ch), (x) => x.toString(16).padStart(2, '0')).join('');
    for (const x of utf8.encode(`[UNK_BYTE_0x${hex}${text}]`)) out.push(x);
  }
  return Uint8Array.from(out);
}
